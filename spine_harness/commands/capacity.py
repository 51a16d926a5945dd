"""A capacity run from nothing: start the local Spine (or attach to running servers), seed the
load population, run the locustfile headless through a ramp of user counts, and leave the
capacity report (HTML, JSON, CSV) behind. `make load` is this with short defaults; the Locust
command it runs is printed, so the same run can be repeated by hand."""
from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from pathlib import Path

from spine_harness.config.values import non_negative_int, positive_int, positive_number
from spine_harness.database.connections import connect
from spine_harness.capacity import population
from spine_harness.capacity.options import ramp
from spine_harness.capacity.target import database_dsn
from spine_harness.config.cli import add_target_arguments, settings_from
from spine_harness.config.paths import REPO_ROOT
from spine_harness.config.settings import child_environment
from spine_harness.targets.registry import started_with_attach_file

HELP = "start the local Spine, seed it and run a headless capacity ramp that writes the report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser, "use running servers (default: start a local Spine for this run)")
    parser.add_argument("--users", type=positive_int, default=100_000, help="seeded population (default: %(default)s)")
    parser.add_argument("--logs-per-user", type=non_negative_int, default=3)
    parser.add_argument("--ramp", type=ramp, default=ramp("5,10,20,40,60,80"), metavar="USERS,USERS,...",
                        help="Locust users per stage (default: 5,10,20,40,60,80)")
    parser.add_argument("--step", type=positive_number, default=12.0, metavar="SECONDS",
                        help="seconds per stage (default: %(default)s)")
    parser.add_argument("--slo-p95-ms", type=positive_number, default=100.0)
    parser.add_argument("--processes", type=positive_int, default=1, help="Locust processes (default: 1)")
    parser.add_argument("--report", type=Path, default=Path("reports/capacity"), help="(default: %(default)s)")
    parser.add_argument("--no-memory-limits", dest="memory_limits", action="store_false",
                        help="run the local servers without their memory cgroups (default: db 8 GiB, supavisor 2 GiB)")


def write_cgroup_figures(target, out_dir: Path) -> Path | None:
    """The local servers' own cgroup accounting after the run (usage, peak, failcnt, OOM
    kills), beside the capacity report; None where the servers run in no harness group."""
    from spine_harness.capacity.sampling import _pid_from_file, pooler_console, pooler_setting
    from spine_harness.servers.cgroup import group_of
    pids = {}
    with contextlib.suppress(Exception):
        with connect(target.direct_dsn, autocommit=True) as conn:
            pids["db"] = _pid_from_file(Path(conn.execute("show data_directory").fetchone()[0]) / "postmaster.pid")
        with pooler_console(target.pooler_admin_dsn) as console:
            pids["supavisor"] = _pid_from_file(pooler_setting(console, "pidfile"))
    figures = {s: g.accounting().as_dict() for s, pid in pids.items() if (g := group_of(pid)) is not None}
    if not figures:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "cgroups.json"
    path.write_text(json.dumps(figures, indent=1))
    return path


def run(args: argparse.Namespace) -> int:
    if args.spine_attach is None:
        print("starting the local Spine ...", flush=True)
    settings = settings_from(args, memory_limits=args.memory_limits or None)
    with started_with_attach_file(settings) as (attach, target):
        if not target.writable:
            print(f"capacity: target '{target.title}' is read-only: set SPINE_ALLOW_WRITES=1 to seed it")
            return 2
        with connect(database_dsn(target), autocommit=True) as conn:
            print(f"seeding {args.users:,} users x {args.logs_per_user} signing logs ...", flush=True)
            population.create(conn, args.users, args.logs_per_user, progress=lambda line: print(line, flush=True))
        locust = ["locust", "-f", "load/spine.py", "--headless", "--spine-ramp", ",".join(map(str, args.ramp)),
                  "--spine-ramp-step", f"{args.step:g}", "--slo-p95-ms", f"{args.slo_p95_ms:g}",
                  "--spine-report", str(args.report), "--only-summary"]
        if args.processes > 1:
            locust += ["--processes", str(args.processes)]
        print(f"running: {' '.join(locust)} --spine-attach <attach file>  "
              f"(about {len(args.ramp) * args.step:.0f}s)", flush=True)
        code = subprocess.run([sys.executable, "-m", *locust], cwd=REPO_ROOT,
                              env=child_environment(settings.replace(attach=attach, memory_limits=False))).returncode
        if target.direct_dsn and (cg := write_cgroup_figures(target, args.report)):
            print(f"cgroup figures: {cg}", flush=True)
    if code == 0:
        print(f"capacity report: {args.report / 'capacity.html'} (and capacity.json, windows.csv, stages.csv, "
              "server.csv)")
    return code
