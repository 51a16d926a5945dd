"""The memory proof, executed: Postgres in a memory cgroup at the db container's limit, driven
to the worst case the static proof (spine_harness.deployment.memory) adds up, while the group's
own accounting is sampled.

The scenario, on a data set larger than shared_buffers (so every buffer is touched and the page
cache, charged to the group, presses on the limit):

- every connection the server allows (max_connections, less the coordinator and the maintenance
  sessions) runs a query with two work_mem nodes, a hash join feeding a sort, each input sized
  past its node's memory (the hash at work_mem x hash_mem_multiplier, Postgres' own allowance
  for hash nodes), so each node fills its allowance before it spills;
- a few of them run in parallel, so max_parallel_workers workers hold their own nodes too;
- `autovacuum_max_workers` maintenance sessions sort at autovacuum_work_mem (or
  maintenance_work_mem), standing in for autovacuum workers at their full allowance (a real
  vacuum only fills it with as many dead tuples, which would take far longer to make);
- when its sort is done each session waits, holding its memory, on an advisory lock the
  coordinator holds, so all of them hold their allowance at the same moment; the coordinator
  samples the group (rss + shmem: what reclaim cannot give back) and then lets them go.

It fails if the group saw an OOM kill, any session or the postmaster died, or the resident peak
exceeds the static proof's total by more than the stated margin: then the proof is wrong.
"""
from __future__ import annotations

import contextlib
import dataclasses
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from spine_harness.database.connections import connect
from spine_harness.deployment import memory, pgconf
from spine_harness.servers.cgroup import MemoryCgroup
from spine_harness.servers.postgres import STACK_POSTGRESQL_CONF, LocalPostgres
from spine_harness.servers.process import server_user

BARRIER_KEY = 16_16
DEFAULT_MARGIN = 0.10          # of the proof's total: per-backend overhead the proof does not count
ROW_PAD = 100                  # bytes of text per row: ~150 bytes a row on disk


@dataclasses.dataclass(frozen=True)
class ProofPlan:
    """What to run: the configuration, the limit, the bounds."""

    conf: Path = STACK_POSTGRESQL_CONF
    overrides: tuple[tuple[str, str], ...] = ()   # settings appended to the file (the tests' small ones)
    limit_mib: float = 8192
    data_factor: float = 1.25                     # data set = shared_buffers x this
    hold_seconds: float = 5.0                     # how long everyone holds, sampled, at the barrier
    timeout_seconds: float = 900.0                # the whole scenario, loading included
    margin: float = DEFAULT_MARGIN
    sample_every: float = 0.1

    def conf_text(self) -> str:
        extra = "".join(f"{k} = {v}\n" for k, v in self.overrides)
        return self.conf.read_text() + ("\n# memory proof overrides\n" + extra if extra else "")


@dataclasses.dataclass
class ProofResult:
    budget: memory.Budget
    limit_mib: float
    margin: float
    sessions: dict[str, int]
    arrived: int                      # sessions holding at the barrier when it was sampled
    resident_peak_mib: float          # rss + shmem, sampled
    usage_peak_mib: float             # memory.max_usage_in_bytes: page cache included
    at_barrier_mib: float             # resident while everyone held
    failcnt: int
    oom_kills: int
    errors: list[str]
    postmaster_alive: bool
    data_mib: float
    seconds: float
    settings: dict[str, str]

    @property
    def allowed_mib(self) -> float:
        return self.budget.total_mib * (1 + self.margin)

    @property
    def failures(self) -> list[str]:
        out = []
        if self.oom_kills:
            out.append(f"Postgres was OOM-killed in its {self.limit_mib:.0f} MiB group ({self.oom_kills} kill(s))")
        if not self.postmaster_alive:
            out.append("the postmaster died")
        if self.errors:
            out.append(f"{len(self.errors)} session(s) failed, first: {self.errors[0]}")
        if self.resident_peak_mib > self.allowed_mib:
            out.append(f"the resident peak {self.resident_peak_mib:.0f} MiB exceeds the static proof's total "
                       f"{self.budget.total_mib:.0f} MiB by more than {self.margin:.0%}: the static proof is wrong")
        return out

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict:
        return {
            "limit_mib": self.limit_mib, "margin": self.margin, "proof_total_mib": round(self.budget.total_mib, 1),
            "allowed_mib": round(self.allowed_mib, 1),
            "proof_lines": [dataclasses.asdict(line) for line in self.budget.lines],
            "sessions": self.sessions, "arrived_at_barrier": self.arrived,
            "resident_peak_mib": self.resident_peak_mib, "at_barrier_mib": self.at_barrier_mib,
            "usage_peak_mib": self.usage_peak_mib, "failcnt": self.failcnt, "oom_kills": self.oom_kills,
            "errors": self.errors[:10], "postmaster_alive": self.postmaster_alive,
            "data_mib": self.data_mib, "seconds": round(self.seconds, 1),
            "settings": self.settings, "failures": self.failures, "passed": self.passed,
        }

    def table(self) -> list[str]:
        rows = [f"{line.item:<26} {line.formula:<58} {line.mib:>8.0f}" for line in self.budget.lines]
        rows += [f"{'proof total':<26} {'':<58} {self.budget.total_mib:>8.0f}",
                 f"{'allowed (+' + format(self.margin, '.0%') + ')':<26} {'':<58} {self.allowed_mib:>8.0f}",
                 f"{'measured resident peak':<26} {'rss + shmem of the group, sampled':<58} {self.resident_peak_mib:>8.0f}",
                 f"{'measured at the barrier':<26} {f'{self.arrived} sessions holding at once':<58} {self.at_barrier_mib:>8.0f}",
                 f"{'measured usage peak':<26} {'max_usage_in_bytes, page cache included':<58} {self.usage_peak_mib:>8.0f}",
                 f"{'cgroup limit':<26} {'the db container limit':<58} {self.limit_mib:>8.0f}",
                 f"failcnt {self.failcnt}, OOM kills {self.oom_kills}, postmaster "
                 f"{'alive' if self.postmaster_alive else 'DEAD'}, session errors {len(self.errors)}"]
        return rows


class _Sampler(threading.Thread):
    """The group's resident memory every `every` seconds; the largest seen."""

    def __init__(self, group: MemoryCgroup, every: float) -> None:
        super().__init__(daemon=True)
        self.group, self.every = group, every
        self.peak = 0.0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            with contextlib.suppress(OSError, ValueError):
                self.peak = max(self.peak, self.group.resident_mib())
            self.halt.wait(self.every)


def _settings(text: str) -> dict[str, str]:
    return pgconf.parse(text)


def _rows_for(mib: float, bytes_per_row: float) -> int:
    return max(1000, int(mib * 1024 * 1024 / bytes_per_row))


def _load(dsn: str, data_mib: float, deadline: float, progress: Callable[[str], None]) -> tuple[float, float]:
    """A table of `data_mib`; returns (its size in MiB, bytes per row)."""
    with connect(dsn, autocommit=True) as conn:
        conn.execute("create table proof_rows (id bigint primary key, k bigint not null, pad text not null)"
                     " with (autovacuum_enabled = off)")
        batch, done, rows_total = 500_000, 0, _rows_for(data_mib, 150)
        while done < rows_total and time.monotonic() < deadline:
            n = min(batch, rows_total - done)
            conn.execute("insert into proof_rows select i, i / 2, md5(i::text) || repeat('x', %s)"
                         " from generate_series(%s::bigint, %s::bigint) i", (ROW_PAD - 32, done + 1, done + n))
            done += n
            progress(f"  loaded {done:,} of {rows_total:,} rows")
        conn.execute("analyze proof_rows")
        size = conn.execute("select pg_table_size('proof_rows')").fetchone()[0]
        return size / 2**20, size / max(done, 1)


def _query_session(dsn: str, role: str, settings: list[tuple[str, str]], sql: str, params: dict,
                   ready: threading.Barrier, errors: list[str]) -> None:
    try:
        with connect(dsn, autocommit=True) as conn:
            for name, value in settings:
                conn.execute("select set_config(%s, %s, false)", (name, value))
            ready.wait(timeout=120)
            conn.execute(sql, params).fetchall()
    except (psycopg.Error, threading.BrokenBarrierError) as exc:
        errors.append(f"{role}: {type(exc).__name__}: {str(exc).strip()[:200]}")


def query_plan(dsn: str, settings: list[tuple[str, str]], sql: str, params: dict) -> str:
    """EXPLAIN of a session's query, to show which nodes it holds (the tests check it)."""
    with connect(dsn, autocommit=True) as conn:
        for name, value in settings:
            conn.execute("select set_config(%s, %s, false)", (name, value))
        return "\n".join(r[0] for r in conn.execute("explain " + sql.replace("pg_advisory_lock_shared", "abs")
                                                    .replace(f"({BARRIER_KEY})", "(1)"), params).fetchall())


# Two work_mem nodes: a hash join feeding the sort of a window. Both join inputs are ranges
# past work_mem x hash_mem_multiplier (the planner hashes the smaller side, so both must be
# large); they overlap only by `overlap` ids, so the sort gets about 2 x overlap rows, past
# work_mem. The advisory lock in the final projection runs after the window has consumed
# everything, while both nodes still hold their memory.
HOLDING_QUERY = (
    "select max(r), pg_advisory_lock_shared({key}) from ("
    " select row_number() over (order by b.pad, a.pad) r"
    " from proof_rows a join proof_rows b on b.k = a.k"
    " where a.id between %(lo)s::bigint and %(lo)s::bigint + %(n)s::bigint"
    " and b.id between %(lo)s::bigint + %(n)s::bigint - %(overlap)s::bigint"
    " and %(lo)s::bigint + 2 * %(n)s::bigint - %(overlap)s::bigint) s"
).format(key=BARRIER_KEY)
# One node at maintenance size: a sort of more rows than autovacuum_work_mem holds.
MAINTENANCE_QUERY = (
    "select max(r), pg_advisory_lock_shared({key}) from ("
    " select row_number() over (order by pad) r from proof_rows where id between %(lo)s and %(lo)s::bigint + %(rows)s::bigint) s"
).format(key=BARRIER_KEY)
JOIN_ONLY = [("enable_mergejoin", "off"), ("enable_nestloop", "off"), ("max_parallel_workers_per_gather", "0"),
             ("jit", "off")]
PARALLEL = [("enable_mergejoin", "off"), ("enable_nestloop", "off"), ("parallel_setup_cost", "0"),
            ("parallel_tuple_cost", "0"), ("min_parallel_table_scan_size", "0"),
            ("min_parallel_index_scan_size", "0"), ("jit", "off")]


def run(plan: ProofPlan, progress: Callable[[str], None] = lambda line: None) -> ProofResult:
    t0 = time.monotonic()
    deadline = t0 + plan.timeout_seconds
    text = plan.conf_text()
    settings = _settings(text)
    budget = memory.budget(settings, plan.limit_mib)
    shared = pgconf.size_mib(settings, "shared_buffers")
    work = pgconf.size_mib(settings, "work_mem")
    hash_mult = float(settings.get("hash_mem_multiplier", 2.0))
    maint = pgconf.size_mib(settings, "autovacuum_work_mem") if "autovacuum_work_mem" in settings else -1
    if maint == -1:
        maint = pgconf.size_mib(settings, "maintenance_work_mem")
    max_conn = pgconf.integer(settings, "max_connections")
    av_workers = int(settings.get("autovacuum_max_workers", 3))
    per_gather = int(settings.get("max_parallel_workers_per_gather", 2))
    parallel = int(settings.get("max_parallel_workers", 8))

    group = MemoryCgroup("memory-proof").create(plan.limit_mib, owner=server_user())
    errors: list[str] = []
    pg = None
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write(text)
            conf_file = Path(f.name)
        pg = LocalPostgres(secrets.token_urlsafe(24), conf=conf_file, label="memory-proof", cgroup=group)
        try:
            pg.start(timeout=120)
        finally:
            conf_file.unlink(missing_ok=True)
        dsn = pg.dsn()
        data_mib, bytes_per_row = _load(dsn, shared * plan.data_factor, deadline, progress)
        progress(f"data set {data_mib:.0f} MiB (shared_buffers {shared:.0f} MiB); filling the buffers ...")
        with connect(dsn, autocommit=True) as conn:
            conn.execute("set max_parallel_workers_per_gather = 0")
            conn.execute("select count(*) from proof_rows").fetchone()
        # Session sizes: each input half again past the memory of its node. Rows in a hash table
        # or a sort take more than on disk (headers, pointers): the disk size is a floor.
        inner_rows = _rows_for(work * hash_mult * 1.5, bytes_per_row)
        outer_rows = _rows_for(work * 1.5 / 2, bytes_per_row)      # each key matches two rows: the sort gets 2x
        maint_rows = _rows_for(maint * 1.5, bytes_per_row)
        total_rows = int(data_mib * 2**20 / bytes_per_row)
        queries = max_conn - 1 - av_workers
        parallel_queries = min(queries, -(-parallel // max(per_gather, 1))) if per_gather else 0
        sessions = {"work_mem queries": queries - parallel_queries, "parallel queries": parallel_queries,
                    "maintenance stand-ins": av_workers, "coordinator": 1}
        progress(f"sessions: {sessions}; hash inner {inner_rows:,} rows, sort {2 * outer_rows:,} rows, "
                 f"maintenance sort {maint_rows:,} rows")
        specs = []
        for i in range(queries):
            lo = (i * 7919 * 64) % max(1, total_rows - 2 * inner_rows)
            kind = PARALLEL if i < parallel_queries else JOIN_ONLY
            specs.append(("parallel query" if kind is PARALLEL else "query", kind, HOLDING_QUERY,
                          {"lo": lo, "n": inner_rows, "overlap": outer_rows}))
        for i in range(av_workers):
            lo = (i * 104729 * 32) % max(1, total_rows - maint_rows)
            specs.append(("maintenance stand-in", [("work_mem", f"{int(maint)}MB"), ("jit", "off"),
                                                   ("max_parallel_workers_per_gather", "0")],
                          MAINTENANCE_QUERY, {"lo": lo, "rows": maint_rows}))
        group.reset_peak()
        sampler = _Sampler(group, plan.sample_every)
        sampler.start()
        at_barrier, arrived = 0.0, 0
        threads: list[threading.Thread] = []
        try:
            with connect(dsn, autocommit=True) as coordinator:
                coordinator.execute("select pg_advisory_lock(%s)", (BARRIER_KEY,))
                ready = threading.Barrier(len(specs) + 1)
                threads = [threading.Thread(target=_query_session, args=(dsn, role, s, sql, p, ready, errors), daemon=True)
                           for role, s, sql, p in specs]
                for t in threads:
                    t.start()
                with contextlib.suppress(threading.BrokenBarrierError):
                    ready.wait(timeout=120)
                progress(f"{len(specs)} sessions running ...")
                last = -1
                while time.monotonic() < deadline:
                    arrived = coordinator.execute(
                        "select count(*) from pg_locks where locktype = 'advisory' and not granted"
                        " and objid = %s", (BARRIER_KEY,)).fetchone()[0]
                    if arrived != last:
                        progress(f"  {arrived} of {len(specs)} holding at the barrier, resident "
                                 f"{group.resident_mib():.0f} MiB")
                        last = arrived
                    if arrived >= len(specs) - len(errors) or not pg.process.running:
                        break
                    time.sleep(0.5)
                hold_until = time.monotonic() + plan.hold_seconds
                while time.monotonic() < hold_until:
                    with contextlib.suppress(OSError):
                        at_barrier = max(at_barrier, group.resident_mib())
                    time.sleep(plan.sample_every)
                coordinator.execute("select pg_advisory_unlock(%s)", (BARRIER_KEY,))
        except psycopg.Error as exc:     # the server went away under the coordinator: an OOM kill, a crash
            errors.append(f"coordinator: {type(exc).__name__}: {str(exc).strip()[:200]}")
        for t in threads:
            t.join(timeout=60)
        sampler.halt.set()
        sampler.join()
        figures = group.accounting()
        alive = pg.process.running
        return ProofResult(
            budget=budget, limit_mib=plan.limit_mib, margin=plan.margin, sessions=sessions, arrived=arrived,
            resident_peak_mib=round(max(sampler.peak, at_barrier), 1), usage_peak_mib=figures.peak_mib,
            at_barrier_mib=round(at_barrier, 1), failcnt=figures.failcnt, oom_kills=figures.oom_kills,
            errors=errors, postmaster_alive=alive, data_mib=round(data_mib, 1), seconds=time.monotonic() - t0,
            settings={k: settings[k] for k in ("shared_buffers", "work_mem", "hash_mem_multiplier",
                                               "maintenance_work_mem", "max_connections", "max_parallel_workers",
                                               "autovacuum_max_workers") if k in settings},
        )
    finally:
        if pg is not None:
            pg.stop()
        group.remove()
