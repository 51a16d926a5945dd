"""The benchmark ratios of the latest benchmark run against their goals (report/ratios.py, the
one place goals live), one short line each: what `make bench` ends with. Exits 1 when a goal
that is not advisory is missed, as the gate would."""
from __future__ import annotations

import argparse
from pathlib import Path

from spine_harness.config.paths import REPO_ROOT
from spine_harness.report import inputs, ratios

HELP = "print each benchmark ratio of the latest run beside its goal, with its verdict"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bench-json", type=Path, default=REPO_ROOT / "reports" / "bench" / "latest.json",
                        help="pytest-benchmark's JSON of the run (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    if not args.bench_json.exists():
        print(f"ratios: {args.bench_json} does not exist: run `make bench` first")
        return 2
    run_ = inputs.read_bench_run(args.bench_json)
    rows = ratios.judged(lambda r: r.value(run_.means.get(r.group, {}), run_.paired.get(r.group)))
    print(f"ratios of the benchmark run {run_.datetime} on {run_.machine}:")
    for line in ratios.short_lines(rows):
        print("  " + line)
    missed = [r.group for r, _, met in rows if met is False and not r.advisory]
    if missed:
        print(f"goals missed: {', '.join(missed)}")
    return 1 if missed else 0
