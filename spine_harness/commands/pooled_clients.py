"""Pooled capacity in clients: hold 100, 250, 500 and then 1,000 client connections at once on the
pooler's 20 server connections, each client doing the Spine's database mix with think time,
and report p95 latency and errors per step (spine_harness.capacity.pooled_clients). The local
Spine is started for the run with PgBouncer's client limit raised to the top step (the stack's
own limit is unchanged) and, by default, inside the memory limits; an attached target must
already allow the clients. Writes JSON for the report; exit 1 when the top step misses the
goal (0 errors, p95 within the SLO)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from spine_harness.capacity import population
from spine_harness.capacity import pooled_clients as pooled
from spine_harness.capacity.options import ramp
from spine_harness.capacity.target import database_dsn
from spine_harness.config.cli import add_target_arguments, settings_from
from spine_harness.config.values import positive_int, positive_number, whole_number
from spine_harness.database.connections import connect
from spine_harness.targets.registry import started_with_attach_file

HELP = "hold 100..1,000 pooled client connections on the pooler's 20 server connections; p95 and errors per step"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser, "use running servers whose pooler allows the clients (default: start a local Spine)")
    parser.add_argument("--clients", type=ramp, default=ramp("100,250,500,1000"), metavar="N,N,...",
                        help="client connections per step (default: 100,250,500,1000)")
    parser.add_argument("--step", type=positive_number, default=20.0, metavar="SECONDS",
                        help="seconds per step (default: %(default)g)")
    parser.add_argument("--think", type=positive_number, default=1.0, metavar="SECONDS",
                        help="mean think time between a client's requests (default: %(default)g)")
    parser.add_argument("--spawn-rate", type=positive_number, default=100.0, metavar="PER_SECOND",
                        help="new clients per second at each step (default: %(default)g)")
    parser.add_argument("--processes", type=whole_number(1, 64), default=1, help="Locust processes (default: 1)")
    parser.add_argument("--slo-p95-ms", type=positive_number, default=100.0)
    parser.add_argument("--users", type=positive_int, default=10_000,
                        help="seeded population when the target has none (default: %(default)s)")
    parser.add_argument("--no-memory-limits", dest="memory_limits", action="store_false",
                        help="run the local servers without their memory cgroups (default: db 8 GiB, supavisor 2 GiB)")
    parser.add_argument("--out", type=Path, default=Path("reports/pooled-clients.json"))


def _kind(settings, plan: pooled.PooledPlan):
    """A local Spine whose PgBouncer allows the run's clients; None for any other target."""
    if settings.attach is not None or settings.target != "local":
        return None
    from spine_harness.targets.local import LocalSpine
    return LocalSpine(settings, pooler_extra={"max_client_conn": str(plan.max_client_conn)}, label="pooled")


def run(args: argparse.Namespace) -> int:
    plan = pooled.PooledPlan(clients=tuple(args.clients), step_seconds=args.step, think_seconds=args.think,
                             spawn_rate=args.spawn_rate,
                             processes=args.processes, slo_p95_ms=args.slo_p95_ms)
    settings = settings_from(args, memory_limits=args.memory_limits or None)
    # Before the servers start: a local PgBouncer inherits this process's open-files limit.
    pooled.raise_own_nofile(plan.open_files)
    if settings.attach is None:
        print(f"starting the local Spine (pooler client limit {plan.max_client_conn}) ...", flush=True)
    with started_with_attach_file(settings, _kind(settings, plan)) as (attach, target):
        with connect(database_dsn(target), autocommit=True) as conn:
            if population.count(conn) == 0:
                if not target.writable:
                    print(f"pooled-clients: target '{target.title}' has no load users and is read-only")
                    return 2
                print(f"seeding {args.users:,} users ...", flush=True)
                population.create(conn, args.users, 1, progress=lambda line: print(line, flush=True))
        try:
            result = pooled.measure(target, attach, plan, args.out.with_suffix(""),
                                    progress=lambda line: print(line, flush=True))
        except pooled.PooledClientsRefused as exc:
            print(f"pooled-clients: {exc}")
            return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print()
    for line in pooled.table(result):
        print(line)
    for failure in result["failures"]:
        print(f"FAIL: {failure}")
    print(f"{'PASS' if result['passed'] else 'FAIL'}: written to {args.out} (Locust's report of the run in "
          f"{args.out.with_suffix('')}/)")
    return 0 if result["passed"] else 1
