"""What does each line of the stack's postgresql.conf buy? The same data and workloads on a
Postgres running the stack's file and one running Postgres' defaults, each in a memory cgroup at
the db container's limit (its page cache charged to it), taking turns round by round; then each
group of the file's lines alone on top of the defaults (spine_harness.capacity.tuning_workloads
.GROUPS), so the report can show which lines pay.

Workloads where the settings matter: the Spine's hot reads on a working set larger than the
default shared_buffers; a sort sized to spill at the default 4 MB of work_mem and not at the
tuned value; a write burst large enough to checkpoint at the default max_wal_size; a range scan
at the selectivity where random_page_cost changes the plan. The report divides medians (goals:
read mix >= 1.2x, spilling sort >= 1.5x, write burst >= 1.0x)."""
from __future__ import annotations

import itertools

import pytest

from spine_harness.capacity import tuning_workloads as tw
from spine_harness.capacity.paired_benchmark import paired
from spine_harness.database.connections import connect

WORKLOADS = ("read_mix", "spilling_sort", "write_burst", "plan_random_page_cost")
CASES = ("tuned", *(f"{g.name} alone" for g in tw.GROUPS))


class Side:
    """One connection with what it runs: the server and, for a session group, its SET values."""

    def __init__(self, dsn: str, values: dict[str, str] | None = None) -> None:
        self.conn = connect(dsn, autocommit=True)
        tw.apply(self.conn, values or {})

    def checkpoints(self) -> int:
        return self.conn.execute("select checkpoints_req + checkpoints_timed from pg_stat_bgwriter").fetchone()[0]

    def wal(self) -> int:
        return tw.wal_lsn(self.conn)


@pytest.fixture(scope="module")
def sides(volume, default_volume, alone_volumes, tuned_settings):
    opened: dict[str, Side] = {}

    def get(case: str) -> Side:
        if case not in opened:
            if case == "defaults":
                opened[case] = Side(default_volume.target.direct_dsn)
            elif case == "tuned":
                opened[case] = Side(volume.target.direct_dsn)
            else:
                group = next(g for g in tw.GROUPS if f"{g.name} alone" == case)
                if group.scope == "session":
                    opened[case] = Side(default_volume.target.direct_dsn, group.values(tuned_settings))
                else:
                    opened[case] = Side(alone_volumes(group).target.direct_dsn)
            opened[case].conn.execute(tw.READ_MIX[2]).fetchall()     # warm the cache its settings allow
        return opened[case]
    yield get
    for side in opened.values():
        side.conn.close()


WARMUP_ROUNDS = 2


@pytest.fixture(scope="module")
def sizing(sides, tuned_settings, pytestconfig):
    """The workloads' sizes, from the defaults server (the same data everywhere)."""
    conn = sides("defaults").conn
    total = conn.execute("select max(id) from gesign.signing_logs").fetchone()[0]
    flip = tw.plan_flip(conn, tuned_settings)
    rounds = pytestconfig.getoption("--bench-rounds") + WARMUP_ROUNDS
    burst = pytestconfig.getoption("--bench-write-burst") or tw.burst_rows(conn, tw.BURST_WAL_MIB / rounds, total)
    return {"total": total, "sort_rows": tw.sort_rows(conn, tw.tuned_work_mem_mib(tuned_settings), total),
            "flip": flip, "burst": burst}


def _workload(name: str, side: Side, sizing: dict, volume):
    conn = side.conn
    if name == "read_mix":
        users = itertools.cycle(volume.sample_users)

        def run():
            uid, _ = next(users)
            for sql in tw.READ_MIX:
                conn.execute(sql, {"uid": uid}).fetchall()
        return run
    if name == "spilling_sort":
        starts = itertools.cycle(range(1, max(2, sizing["total"] - sizing["sort_rows"]), 7919))
        return lambda: conn.execute(tw.SPILLING_SORT, {"lo": next(starts), "n": sizing["sort_rows"]}).fetchall()
    if name == "write_burst":
        starts = itertools.cycle(range(1, max(2, sizing["total"] - sizing["burst"]), 104729))
        return lambda: conn.execute(tw.WRITE_BURST, {"lo": next(starts), "n": sizing["burst"]})
    if name == "plan_random_page_cost":
        if sizing["flip"] is None:
            pytest.skip("no share of users at which the planner lines change the range scan's plan on this data")
        lo, hi = tw.uuid_bounds(sizing["flip"][0])
        return lambda: conn.execute(tw.RANGE_SCAN, {"lo": lo, "hi": hi}).fetchall()
    raise ValueError(name)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_tuning(benchmark, workload, case, sides, sizing, volume, pytestconfig):
    measured, baseline = sides(case), sides("defaults")
    benchmark.group = f"tuning:{workload}"
    checkpoints, wal = (measured.checkpoints(), baseline.checkpoints()), (measured.wal(), baseline.wal())
    paired(benchmark, _workload(workload, measured, sizing, volume), _workload(workload, baseline, sizing, volume),
           case=case, baseline_case="defaults", rounds=pytestconfig.getoption("--bench-rounds"),
           warmup_rounds=WARMUP_ROUNDS)
    # A session group runs on the defaults server: its two sides share one server's counters.
    benchmark.extra_info["checkpoints"] = measured.checkpoints() - checkpoints[0]
    benchmark.extra_info["baseline_checkpoints"] = baseline.checkpoints() - checkpoints[1]
    if workload == "write_burst":
        benchmark.extra_info.update(burst_rows=sizing["burst"], wal_mib=round((measured.wal() - wal[0]) / 2**20),
                                    baseline_wal_mib=round((baseline.wal() - wal[1]) / 2**20))
        for side in (measured, baseline):
            tw.remove_bursts(side.conn)
    if workload == "spilling_sort":
        params = {"lo": 1, "n": sizing["sort_rows"]}
        methods = {c: tw.sort_method(tw.explain(s.conn, tw.SPILLING_SORT, params, analyze=True))
                   for c, s in (("case", measured), ("defaults", baseline))}
        benchmark.extra_info.update(sort_rows=sizing["sort_rows"], sort_method=methods["case"][0],
                                    baseline_sort_method=methods["defaults"][0])
        assert methods["defaults"][0] == "external merge", f"the sort did not spill at the defaults: {methods}"
        if case == "tuned":
            assert methods["case"][0] != "external merge", f"the sort spills at the tuned work_mem too: {methods}"
    if workload == "plan_random_page_cost":
        benchmark.extra_info.update(share_of_users=sizing["flip"][0],
                                    baseline_plan=sizing["flip"][1], tuned_plan=sizing["flip"][2])
