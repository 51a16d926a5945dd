"""The proof that Postgres fits its container: the worst case the settings allow, summed.

Postgres does not cap its own memory; the container limit does, by killing it. So the sum of
what the settings let it allocate at once must stay under the limit:

    shared_buffers
  + work_mem x (max_connections + max_parallel_workers) x (1 + hash_mem_multiplier)
  + autovacuum_work_mem (or maintenance_work_mem) x autovacuum_max_workers
  + wal_buffers

WORK_MEM_NODES is the stated shape: each query is assumed to hold two nodes at once, a sort at
work_mem and a hash at work_mem x hash_mem_multiplier (Postgres 15's default 2.0: hash nodes may
take twice work_mem). The proof once counted both nodes at work_mem; executed at the db limit
(`python -m spine_harness memory-proof`) that proof's 7,720 of 8,192 MiB ended in an OOM kill with
154 of 199 sessions holding, about 32 MiB each where it counted 20. A query can hold more nodes;
the Spine's queries (keyed look-ups and small joins) hold fewer.
"""
from __future__ import annotations

import dataclasses

from spine_harness.deployment import pgconf

WORK_MEM_NODES = 2
HASH_MEM_MULTIPLIER_DEFAULT = 2.0
WAL_BUFFERS_AUTO_MAX_MIB = 16


@dataclasses.dataclass(frozen=True)
class Line:
    item: str
    formula: str
    mib: float


@dataclasses.dataclass(frozen=True)
class Budget:
    lines: tuple[Line, ...]
    limit_mib: float

    @property
    def total_mib(self) -> float:
        return sum(line.mib for line in self.lines)

    @property
    def headroom_mib(self) -> float:
        return self.limit_mib - self.total_mib

    @property
    def fits(self) -> bool:
        return self.total_mib <= self.limit_mib

    def table(self) -> list[str]:
        width = max(len(line.item) for line in self.lines)
        fwidth = max(len(line.formula) for line in self.lines)
        rows = [f"{'item':<{width}}  {'worst case':<{fwidth}}  {'MiB':>8}"]
        rows += [f"{line.item:<{width}}  {line.formula:<{fwidth}}  {line.mib:>8.0f}" for line in self.lines]
        rows.append(f"{'total':<{width}}  {'':<{fwidth}}  {self.total_mib:>8.0f}")
        rows.append(f"{'db memory limit':<{width}}  {'deploy.resources.limits.memory':<{fwidth}}  {self.limit_mib:>8.0f}")
        share = 100 * self.headroom_mib / self.limit_mib
        rows.append(f"{'headroom':<{width}}  {f'{share:.1f}% of the limit':<{fwidth}}  {self.headroom_mib:>8.0f}")
        return rows


def _mib(value: float) -> str:
    return f"{value:g}MB"


def budget(settings: dict[str, str], limit_mib: float) -> Budget:
    shared = pgconf.size_mib(settings, "shared_buffers")
    work = pgconf.size_mib(settings, "work_mem")
    conns = pgconf.integer(settings, "max_connections")
    hash_mult = float(settings.get("hash_mem_multiplier", HASH_MEM_MULTIPLIER_DEFAULT))
    parallel = pgconf.integer(settings, "max_parallel_workers") if "max_parallel_workers" in settings else 8
    maint = pgconf.size_mib(settings, "maintenance_work_mem")
    autovac = pgconf.size_mib(settings, "autovacuum_work_mem") if "autovacuum_work_mem" in settings else -1
    autovac_name = "autovacuum_work_mem"
    if autovac == -1:
        autovac, autovac_name = maint, "maintenance_work_mem"
    workers = pgconf.integer(settings, "autovacuum_max_workers") if "autovacuum_max_workers" in settings else 3
    wal = pgconf.size_mib(settings, "wal_buffers") if "wal_buffers" in settings else -1
    if wal == -1:   # Postgres' own choice: 1/32 of shared_buffers, at most 16MB
        wal = min(shared / 32, WAL_BUFFERS_AUTO_MAX_MIB)
    return Budget((
        Line("shared_buffers", _mib(shared), shared),
        Line("work_mem per query node",
             f"{_mib(work)} x ({conns} connections + {parallel} parallel workers) x (1 sort + {hash_mult:g} hash)",
             work * (conns + parallel) * (1 + hash_mult)),
        Line("autovacuum", f"{autovac_name} {_mib(autovac)} x {workers} workers", autovac * workers),
        Line("wal_buffers", _mib(wal), wal),
    ), limit_mib)
