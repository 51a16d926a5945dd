"""Server-side figures sampled during a capacity run: the pooler's pools (clients waiting,
server connections in use) from its console, Postgres' connections by state, and the memory of
each service, to set against its limit in spine_harness.deployment.architecture.SERVICES.

Memory is read where the harness can see the servers: for local servers, the proportional set
size (PSS: shared buffers counted once, not once per backend) of each server's process tree
from /proc; for compose, `docker stats`. Whatever cannot be read is named in `notes`, never
guessed.
"""
from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from spine_harness.database.connections import connect
from spine_harness.targets import Target

POOL_COLUMNS = ("cl_active", "cl_waiting", "sv_active", "sv_idle", "sv_used")
PROC = Path("/proc")


@dataclasses.dataclass(frozen=True)
class ServerSample:
    at: float                          # seconds into the run
    pool: dict[str, float]             # summed over the pooler's pools; maxwait_ms is the largest wait
    connections: dict[str, int]        # Postgres client backends by state
    memory_mib: dict[str, float]       # architecture service name -> MiB


def pooler_console(dsn: str) -> psycopg.Connection:
    """PgBouncer's console speaks only the simple query protocol."""
    return psycopg.connect(dsn, autocommit=True, cursor_factory=psycopg.ClientCursor)


def show(conn: psycopg.Connection, what: str) -> list[dict]:
    cur = conn.execute(f"SHOW {what}")
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def pool_figures(console: psycopg.Connection) -> dict[str, float]:
    pools = [p for p in show(console, "POOLS") if p["database"] != "pgbouncer"]
    figures: dict[str, float] = {c: sum(int(p[c]) for p in pools) for c in POOL_COLUMNS}
    figures["maxwait_ms"] = max((int(p["maxwait"]) * 1000 + int(p.get("maxwait_us", 0)) / 1000
                                 for p in pools), default=0.0)
    # The pool size bounds each pool (one user on one database), not their sum.
    figures["sv_busiest_pool"] = max((sum(int(p[c]) for c in ("sv_active", "sv_idle", "sv_used")) for p in pools),
                                     default=0)
    return figures


def pooler_setting(console: psycopg.Connection, key: str) -> str | None:
    return next((row["value"] for row in show(console, "CONFIG") if row["key"] == key), None)


def connection_states(conn: psycopg.Connection) -> dict[str, int]:
    rows = conn.execute("select coalesce(state, 'unknown'), count(*) from pg_stat_activity"
                        " where backend_type = 'client backend' group by 1").fetchall()
    return {state: n for state, n in rows}


# --- memory of local servers --------------------------------------------------------------------

def _is_loopback(dsn: str) -> bool:
    host = psycopg.conninfo.conninfo_to_dict(dsn).get("host", "")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _parent_of(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(root: int) -> list[int]:
    """`root` and its direct children (Postgres' backends and helpers are the postmaster's)."""
    children = [int(p.name) for p in PROC.iterdir() if p.name.isdigit() and _parent_of(int(p.name)) == root]
    return [root, *children]


def pss_mib(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            text = (PROC / str(pid) / "smaps_rollup").read_text()
        except OSError:
            continue          # a backend that exited between listing and reading
        match = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
        total_kb += int(match.group(1)) if match else 0
    return total_kb / 1024


def _pid_from_file(path: str) -> int:
    return int(Path(path).read_text().split()[0])


class LocalServerMemory:
    """Finds the local servers' processes through the servers themselves: Postgres' data
    directory holds postmaster.pid, PgBouncer's config names its pidfile."""

    def __init__(self, db: psycopg.Connection, console: psycopg.Connection | None) -> None:
        self.roots = {"db": _pid_from_file(Path(db.execute("show data_directory").fetchone()[0]) / "postmaster.pid")}
        if console is not None:
            self.roots["supavisor"] = _pid_from_file(pooler_setting(console, "pidfile"))  # PgBouncer stands in

    def read(self) -> dict[str, float]:
        return {service: round(pss_mib(process_tree(pid)), 1) for service, pid in self.roots.items()}


# --- memory of compose services --------------------------------------------------------------

_UNITS = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "TiB": 2**20,
          "kB": 1e3 / 2**20, "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}


def parse_mem_usage(text: str) -> float:
    """`docker stats` MemUsage ("512.3MiB / 8GiB") -> MiB used."""
    used = text.split("/")[0].strip()
    match = re.fullmatch(r"([\d.]+)\s*([A-Za-z]+)", used)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"unrecognised docker memory figure {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


class ContainerMemory:
    """Memory of each compose service, by its com.docker.compose.service label."""

    def read(self) -> dict[str, float]:
        services = dict(line.split(" ", 1) for line in subprocess.run(
            ["docker", "ps", "--format", '{{.ID}} {{.Label "com.docker.compose.service"}}'],
            capture_output=True, text=True, check=True, timeout=20).stdout.splitlines() if " " in line)
        stats = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{json .}}"],
                               capture_output=True, text=True, check=True, timeout=30).stdout
        memory: dict[str, float] = {}
        for line in stats.splitlines():
            row = json.loads(line)
            service = services.get(row["ID"][:12]) or services.get(row["ID"])
            if service:
                memory[service] = round(parse_mem_usage(row["MemUsage"]), 1)
        return memory


# --- the sampler -------------------------------------------------------------------------------

class ServerSampler:
    """One sample every call; each source that fails is noted once and then left out."""

    def __init__(self, target: Target, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.samples: list[ServerSample] = []
        self.notes: list[str] = []
        self.console = self._open("pooler console", target.pooler_admin_dsn, pooler_console)
        self.db = self._open("Postgres", target.direct_dsn or target.pooler_dsn,
                             lambda dsn: connect(dsn, autocommit=True))
        self.memory = None
        if target.name == "compose":
            self.memory = ContainerMemory()
        elif self.db is not None and target.direct_dsn and _is_loopback(target.direct_dsn):
            try:
                self.memory = LocalServerMemory(self.db, self.console)
            except (OSError, ValueError, psycopg.Error) as exc:
                self.notes.append(f"memory: cannot find the local servers' processes ({exc})")
        else:
            self.notes.append(f"memory: target '{target.name}' runs its servers where this machine cannot "
                              "read their memory (local reads /proc, compose reads docker stats)")

    def _open(self, what: str, dsn: str | None, opener):
        if dsn is None:
            self.notes.append(f"{what}: the target has no endpoint for it")
            return None
        try:
            return opener(dsn)
        except psycopg.Error as exc:
            self.notes.append(f"{what}: cannot connect ({type(exc).__name__}: {str(exc).strip()[:200]})")
            return None

    def _read(self, what: str, read, default):
        try:
            return read()
        except Exception as exc:  # an outage or a vanished process must not end the run
            note = f"{what}: sampling failed at {self.clock() - self.started:.0f}s ({type(exc).__name__}: {exc})"
            if not any(n.startswith(f"{what}: sampling failed") for n in self.notes):
                self.notes.append(note)
            return default

    def sample(self) -> ServerSample:
        s = ServerSample(
            at=round(self.clock() - self.started, 3),
            pool=self._read("pooler", lambda: pool_figures(self.console), {}) if self.console else {},
            connections=self._read("Postgres", lambda: connection_states(self.db), {}) if self.db else {},
            memory_mib=self._read("memory", self.memory.read, {}) if self.memory else {},
        )
        self.samples.append(s)
        return s

    def close(self) -> None:
        for conn in (self.console, self.db):
            if conn is not None:
                conn.close()


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by a process and its direct children (Locust's workers)."""
    total = 0
    for pid in process_tree(root):
        with contextlib.suppress(OSError):
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
