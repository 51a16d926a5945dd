"""The tuning benchmark's workloads size themselves from the server: the spilling sort spills at
the default work_mem and not at the stack's, the plan workload finds where random_page_cost
changes the plan, and each attribution group's file holds only its own lines. Small data."""
from __future__ import annotations

import pytest

from spine_harness.capacity import population
from spine_harness.capacity import tuning_workloads as tw
from spine_harness.database.connections import connect
from spine_harness.deployment import pgconf
from spine_harness.servers.postgres import STACK_POSTGRESQL_CONF

TUNED = pgconf.parse(STACK_POSTGRESQL_CONF.read_text())


@pytest.fixture(scope="module")
def logs_conn(local_spine):
    with local_spine.scratch("spine_tuning_workloads") as target:
        with connect(target.direct_dsn, autocommit=True) as conn:
            population.create(conn, 15_000, 10)
            conn.execute("vacuum analyze")
            yield conn


def test_the_spilling_sort_spills_at_the_default_and_not_at_the_tuned_work_mem(logs_conn):
    total = logs_conn.execute("select max(id) from gesign.signing_logs").fetchone()[0]
    rows = tw.sort_rows(logs_conn, tw.tuned_work_mem_mib(TUNED), total)
    params = {"lo": 1, "n": rows}
    logs_conn.execute("set work_mem = '4MB'")
    assert tw.sort_method(tw.explain(logs_conn, tw.SPILLING_SORT, params, analyze=True))[0] == "external merge"
    logs_conn.execute("select set_config('work_mem', %s, false)", (TUNED["work_mem"],))
    method, kb = tw.sort_method(tw.explain(logs_conn, tw.SPILLING_SORT, params, analyze=True))
    assert method == "quicksort" and kb > 4 * 1024
    logs_conn.execute("reset work_mem")


def test_the_plan_workload_is_where_the_planner_lines_change_the_plan(logs_conn):
    flip = tw.plan_flip(logs_conn, TUNED)
    assert flip is not None
    fraction, default_plan, tuned_plan = flip
    assert fraction in tw.FRACTIONS and default_plan != tuned_plan


def test_each_group_alone_is_the_defaults_plus_its_own_lines():
    for group in tw.GROUPS:
        values = group.values(TUNED)
        assert set(values) == set(group.settings), group
        assert set(pgconf.parse(tw.conf_text(values))) == set(group.settings)


def test_uuid_bounds_cover_the_share_asked():
    lo, hi = tw.uuid_bounds(0.25)
    assert lo.startswith("00000000") and hi.startswith("40000000")


def test_the_write_burst_is_sized_by_the_wal_it_writes_and_removed_afterwards(logs_conn):
    total = logs_conn.execute("select max(id) from gesign.signing_logs").fetchone()[0]
    count = logs_conn.execute("select count(*) from gesign.signing_logs").fetchone()[0]
    rows = tw.burst_rows(logs_conn, 8, total)          # 8 MiB of WAL per round
    before = tw.wal_lsn(logs_conn)
    logs_conn.execute(tw.WRITE_BURST, {"lo": 1, "n": rows})
    written_mib = (tw.wal_lsn(logs_conn) - before) / 2**20
    assert 4 < written_mib < 16, written_mib
    assert tw.remove_bursts(logs_conn) == rows + 1      # `between` takes both ends
    assert logs_conn.execute("select count(*) from gesign.signing_logs").fetchone()[0] == count
