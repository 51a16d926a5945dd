"""Measure the load generator against pgbench, and pooled against direct connections, in one run
on one machine: the Locust database user's throughput next to `pgbench -f` running the same
transactions (rendered from the same statements) at the same concurrency through the same pooler,
with one and with several Locust processes; then a connection-per-transaction workload
(`pgbench -C`) through the pooler and straight to Postgres. Figures are printed and written as
JSON; nothing is asserted (the machine may be shared, so the numbers are noisy)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from spine_harness.config.values import positive_int, whole_number
from spine_harness.database.connections import connect
from spine_harness.capacity import operations as ops
from spine_harness.capacity import pgbench, population, capacity_report as report
from spine_harness.capacity.sampling import tree_cpu_seconds
from spine_harness.config.paths import REPO_ROOT
from spine_harness.config.cli import add_target_arguments, settings_from
from spine_harness.config.settings import Settings, child_environment
from spine_harness.targets import Target
from spine_harness.targets.registry import started_with_attach_file

CPU_WINDOW_SKIP_S = 5.0

HELP = "Locust vs pgbench on the same transactions, and pooled vs direct connection-per-transaction"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser, "run against these servers (default: start a local Spine for the run)")
    parser.add_argument("--users", type=positive_int, default=None,
                        help="seeded population (default: the one already there, else 10000)")
    parser.add_argument("--clients", type=positive_int, default=8, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--seconds", type=whole_number(int(2 * CPU_WINDOW_SKIP_S), 600), default=15,
                        help="per measurement, at least twice the warm-up that is left out (default: %(default)s)")
    parser.add_argument("--processes", type=whole_number(1, 64), default=2, help="Locust processes for the scaling figure")
    parser.add_argument("--out", type=Path, default=Path("reports/load-bench.json"))




def _locust(attach: Path, clients: int, seconds: int, processes: int, workdir: Path) -> dict:
    """Throughput at full concurrency, and how busy the Locust processes were meanwhile: a
    generator near 100% of a core per process is the bottleneck, one well below it is not."""
    out = workdir / f"locust-{processes}"
    args = ["--headless", "-u", str(clients), "-r", str(clients), "-t", f"{seconds}s", "--only-summary",
            "--spine-report", str(out)]
    if processes > 1:
        args += ["--processes", str(processes)]
    env = child_environment(Settings().replace(attach=attach))
    with subprocess.Popen([sys.executable, "-m", "locust", "-f", "load/spine.py", *args], cwd=REPO_ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        # Measure the middle of the run: after start-up and spawning, before the stop.
        time.sleep(CPU_WINDOW_SKIP_S)
        cpu0, t0 = tree_cpu_seconds(proc.pid), time.monotonic()
        time.sleep(max(1.0, seconds - CPU_WINDOW_SKIP_S))
        cpu1, t1 = tree_cpu_seconds(proc.pid), time.monotonic()
        _, stderr = proc.communicate(timeout=seconds + 120)
    if proc.returncode != 0:
        raise RuntimeError(f"locust exited {proc.returncode}:\n{stderr[-2000:]}")
    data = json.loads((out / "capacity.json").read_text())
    # The stage at full concurrency: the spawn and the stop are left out.
    stage = max((s for s in data["stages"] if s["users"] == clients), key=lambda s: s["end_s"] - s["start_s"])
    rps = stage["by_name"][report.TOTAL]["rps"]
    return {"rps": rps, "per_process": round(rps / processes, 1),
            "cpu_share_per_process": round((cpu1 - cpu0) / (t1 - t0) / processes, 2),
            "command": "SPINE_ATTACH=ATTACH locust -f load/spine.py " + " ".join(args)}


def _direct_as(target: Target, dsn: str) -> str:
    """The login of `dsn` (user, password), straight to Postgres instead of through the pooler."""
    login = psycopg.conninfo.conninfo_to_dict(dsn)
    return target.dsn_for(target.direct_dsn, user=login["user"], password=login["password"])


def run(args: argparse.Namespace) -> int:
    with started_with_attach_file(settings_from(args)) as (attach, target):
        return _measure(target, attach, args)


def _measure(target: Target, attach: Path, args: argparse.Namespace) -> int:
    results: dict = {"clients": args.clients, "seconds": args.seconds, "machine_cpus": os.cpu_count(),
                     "note": "one run on one machine; on a shared machine the figures are noisy"}
    with tempfile.TemporaryDirectory(prefix="spine-load-bench-") as tmp:
        workdir = Path(tmp)
        with connect(target.direct_dsn, autocommit=True) as conn:
            users = args.users or population.count(conn) or 10_000
            if population.count(conn) != users:
                print(f"seeding {users:,} users", flush=True)
                population.create(conn, users, 3, progress=lambda line: print(line, flush=True))
        results["users"] = users
        mix = pgbench.write_mix(workdir, users)

        print(f"pgbench, the same mix, {args.clients} clients, {args.seconds}s ...", flush=True)
        bench = pgbench.run(target.api_dsn, ["-M", "extended", "-c", str(args.clients), "-j", "1",
                                             "-T", str(args.seconds), *mix])
        results["pgbench"] = {"tps": bench.tps, "failed": bench.failed, "command": bench.command}
        for processes in (1, args.processes):
            print(f"locust, {processes} process(es), {args.clients} users, {args.seconds}s ...", flush=True)
            figures = _locust(attach, args.clients, args.seconds, processes, workdir)
            figures["share_of_pgbench_per_process"] = round(figures["per_process"] / bench.tps, 3)
            results[f"locust_{processes}_process"] = figures

        script = workdir / "profile_read.sql"
        script.write_text(ops.pgbench_script(ops.PROFILE_READ, users))
        for name, dsn in (("pooled", target.api_dsn), ("direct", _direct_as(target, target.api_dsn))):
            print(f"pgbench -C (a new connection per transaction), {name}, {args.seconds}s ...", flush=True)
            per_tx = pgbench.run(dsn, ["-C", "-M", "extended", "-c", str(args.clients), "-j", "1",
                                       "-T", str(args.seconds), "-f", str(script)])
            results[f"connect_per_transaction_{name}"] = {"tps": per_tx.tps, "failed": per_tx.failed,
                                                          "command": per_tx.command}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    _print(results, args.processes)
    print(f"written to {args.out}")
    return 0


def _print(r: dict, processes: int) -> None:
    pg = r["pgbench"]["tps"]
    print(f"\nsame transactions, {r['clients']} clients, through the pooler:")
    print(f"  pgbench                {pg:9.0f} tx/s")
    for n in (1, processes):
        lo = r[f"locust_{n}_process"]
        print(f"  locust, {n} process(es)  {lo['rps']:9.0f} req/s  ({lo['share_of_pgbench_per_process']:.0%} of "
              f"pgbench per process; each process kept {lo['cpu_share_per_process']:.0%} of a core busy)")
    pooled, direct = r["connect_per_transaction_pooled"]["tps"], r["connect_per_transaction_direct"]["tps"]
    print("connection per transaction (pgbench -C, profile read):")
    print(f"  pooled {pooled:9.0f} tx/s   direct {direct:9.0f} tx/s   ratio {pooled / direct:.2f}x")
