"""The workloads on which postgresql.conf's lines matter, and the attribution groups: which
lines of the stack's file, applied alone on top of Postgres' defaults, each measurement tests.

Each workload is sized from the server itself (EXPLAIN), not guessed: the spilling sort takes
as many rows as make its sort need more than the default 4 MB of work_mem and less than the
tuned value; the plan workload takes the key range at which random_page_cost flips the plan.
The benchmarks check those preconditions and say so when they do not hold.
"""
from __future__ import annotations

import dataclasses
import re

import psycopg

from spine_harness.deployment import pgconf

DEFAULT_WORK_MEM_MIB = 4
DEFAULT_MAX_WAL_SIZE_MIB = 1024
# WAL one write-burst benchmark writes on each side: past the default max_wal_size (a
# checkpoint is requested at about max_wal_size / (1 + checkpoint_completion_target), so the
# defaults checkpoint about twice) and short of the tuned file's distance (4 GB: none).
BURST_WAL_MIB = 1.25 * DEFAULT_MAX_WAL_SIZE_MIB
BURST_DOCUMENT = "burst.pdf"

# The Spine's hot reads: a user's latest signatures (an index range), the profile, and the
# week's busiest certificates (a scan of the whole log, larger than the default 128 MB buffers).
READ_MIX = (
    ("select id, document_name, signed_at from gesign.signing_logs where user_id = %(uid)s"
     " order by signed_at desc limit 20"),
    "select id, display_name, locale, created_at from public.users where id = %(uid)s",
    ("select certificate_id, count(*) from gesign.signing_logs where signed_at > now() - interval '7 days'"
     " group by certificate_id order by count(*) desc limit 10"),
)
SPILLING_SORT = ("select max(r) from (select row_number() over (order by document_hash) r"
                 " from gesign.signing_logs where id between %(lo)s::bigint and %(lo)s::bigint + %(n)s::bigint) s")
WRITE_BURST = ("insert into gesign.signing_logs (user_id, certificate_id, document_hash, document_name,"
               " signature_algorithm) select user_id, certificate_id, sha256((id || '-' || random())::bytea),"
               f" '{BURST_DOCUMENT}', 'Ed25519' from gesign.signing_logs where id between %(lo)s::bigint"
               " and %(lo)s::bigint + %(n)s::bigint")
# A share of the users' logs in index order: an index scan (random heap reads, cheap at the
# tuned random_page_cost) or a bitmap scan and a sort (at the default's).
RANGE_SCAN = ("select user_id, signed_at, document_name from gesign.signing_logs"
              " where user_id >= %(lo)s::uuid and user_id < %(hi)s::uuid order by user_id, signed_at desc")


@dataclasses.dataclass(frozen=True)
class Group:
    """Lines of the stack's file that pay for one thing, applied alone on the defaults."""

    name: str
    settings: tuple[str, ...]
    scope: str        # "session": SET in a connection to the defaults server; "server": its own server

    def values(self, tuned: dict[str, str]) -> dict[str, str]:
        return {name: tuned[name] for name in self.settings if name in tuned}


GROUPS: tuple[Group, ...] = (
    Group("shared_buffers", ("shared_buffers",), "server"),
    Group("work_mem", ("work_mem",), "session"),
    Group("checkpoints", ("max_wal_size", "min_wal_size", "checkpoint_completion_target"), "server"),
    Group("planner", ("random_page_cost", "effective_io_concurrency", "effective_cache_size"), "session"),
)


def conf_text(values: dict[str, str]) -> str:
    """A postgresql.conf of Postgres' defaults plus `values` (the attribution servers')."""
    return "# Postgres defaults plus one group of the stack's lines\n" + "".join(
        f"{k} = '{v}'\n" for k, v in values.items())


def apply(conn: psycopg.Connection, values: dict[str, str]) -> None:
    for name, value in values.items():
        conn.execute("select set_config(%s, %s, false)", (name, value))


def explain(conn: psycopg.Connection, sql: str, params: dict, analyze: bool = False) -> str:
    options = "analyze, costs off, timing off" if analyze else "costs off"
    return "\n".join(r[0] for r in conn.execute(f"explain ({options}) {sql}", params).fetchall())


_SORT_MEMORY = re.compile(r"Sort Method: (\S+(?: \S+)?)\s+(?:Memory|Disk): (\d+)kB")


def sort_method(plan: str) -> tuple[str, int]:
    """('quicksort' | 'external merge' | ..., kB) of the plan's sort."""
    m = _SORT_MEMORY.search(plan)
    if not m:
        raise ValueError(f"no sort in the plan:\n{plan}")
    return m.group(1), int(m.group(2))


def sort_rows(conn: psycopg.Connection, tuned_work_mem_mib: float, total_rows: int) -> int:
    """Rows that make the spilling sort need between the default work_mem and the tuned one
    (the middle of the two), measured with one probe at the tuned value."""
    probe = min(20_000, total_rows // 2)
    with conn.transaction():
        conn.execute("select set_config('work_mem', %s, true)", (f"{int(tuned_work_mem_mib * 1024)}kB",))
        method, kb = sort_method(explain(conn, SPILLING_SORT, {"lo": 1, "n": probe}, analyze=True))
    target_kb = (DEFAULT_WORK_MEM_MIB + tuned_work_mem_mib) / 2 * 1024
    return max(1000, min(total_rows - 1, int(probe * target_kb / max(kb, 1))))


def _scan_kind(plan: str) -> str:
    """The plan's node types, top down, without their conditions."""
    return " / ".join(line.strip().lstrip("-> ").split(" on ")[0].split(" using ")[0]
                      for line in plan.splitlines() if not line.strip().startswith(("Recheck", "Index Cond",
                                                                                       "Sort Key", "Filter")))


def uuid_bounds(fraction: float) -> tuple[str, str]:
    hi = min(int(fraction * 2**128), 2**128 - 1)
    return "00000000-0000-0000-0000-000000000000", f"{hi:032x}"[:8] + "-" + f"{hi:032x}"[8:12] + "-" + \
        f"{hi:032x}"[12:16] + "-" + f"{hi:032x}"[16:20] + "-" + f"{hi:032x}"[20:]


FRACTIONS = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.25)


def plan_flip(conn: psycopg.Connection, tuned: dict[str, str]) -> tuple[float, str, str] | None:
    """The smallest share of users at which the planner group's values change the range
    scan's plan from the defaults': (fraction, default plan, tuned plan), or None."""
    planner = GROUPS[3].values(tuned)
    defaults = dict(conn.execute("select name, boot_val || coalesce(unit, '') from pg_settings"
                                 " where name = any(%s)", (list(planner),)).fetchall())
    defaults = {k: v.replace("8kB", "") if k == "effective_cache_size" else v for k, v in defaults.items()}
    for fraction in FRACTIONS:
        lo, hi = uuid_bounds(fraction)
        with conn.transaction():
            for name, value in defaults.items():
                conn.execute("select set_config(%s, %s, true)", (name, value))
            default_plan = explain(conn, RANGE_SCAN, {"lo": lo, "hi": hi})
        with conn.transaction():
            for name, value in planner.items():
                conn.execute("select set_config(%s, %s, true)", (name, value))
            tuned_plan = explain(conn, RANGE_SCAN, {"lo": lo, "hi": hi})
        if _scan_kind(default_plan) != _scan_kind(tuned_plan):
            return fraction, default_plan, tuned_plan
    return None


def wal_lsn(conn: psycopg.Connection) -> int:
    """The server's WAL insert position, in bytes."""
    return conn.execute("select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint").fetchone()[0]


def burst_rows(conn: psycopg.Connection, wal_mib_per_round: float, total_rows: int) -> int:
    """Rows per write-burst round that write about `wal_mib_per_round` of WAL, measured with one
    probe burst (rolled back: the probe's WAL is written all the same, its rows are not kept)."""
    probe = min(20_000, total_rows - 1)
    with conn.transaction(force_rollback=True):
        before = wal_lsn(conn)
        conn.execute(WRITE_BURST, {"lo": 1, "n": probe})
        per_row = max(1.0, (wal_lsn(conn) - before) / (probe + 1))
    return max(1000, int(wal_mib_per_round * 2**20 / per_row))


def remove_bursts(conn: psycopg.Connection) -> int:
    """Delete the write bursts' rows and vacuum, so the workloads after them see the same table."""
    removed = conn.execute("delete from gesign.signing_logs where document_name = %s", (BURST_DOCUMENT,)).rowcount
    conn.execute("vacuum analyze gesign.signing_logs")
    return removed


def tuned_work_mem_mib(tuned: dict[str, str]) -> float:
    return pgconf.size_mib(tuned, "work_mem")
