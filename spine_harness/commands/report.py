"""Build the nightly report from what the other jobs left under reports/: the latest benchmark
JSON and the saved runs before it, the last capacity run, and the conformance JUnit files.
Writes report.html and summary.md, and prints the summary for the CI log."""
from __future__ import annotations

import argparse
from pathlib import Path

from spine_harness.config.paths import REPO_ROOT
from spine_harness.report import render

HELP = "build the nightly report (HTML + Markdown) from benchmark, capacity and conformance results"
REPORTS = REPO_ROOT / "reports"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bench-json", type=Path, default=REPORTS / "bench" / "latest.json")
    parser.add_argument("--bench-storage", type=Path, default=REPO_ROOT / ".benchmarks",
                        help="pytest-benchmark's saved runs, for the trend plots (default: %(default)s)")
    parser.add_argument("--capacity", type=Path, default=REPORTS / "capacity" / "capacity.json")
    parser.add_argument("--junit", type=Path, action="append", default=None,
                        help="conformance JUnit XML (repeatable; default: reports/conformance*.xml)")
    parser.add_argument("--out", type=Path, default=REPORTS)
    parser.add_argument("--title", default="Spine nightly report")


def build(args: argparse.Namespace) -> render.Report:
    junits = args.junit if args.junit is not None else sorted(REPORTS.glob("conformance*.xml"))
    return render.assemble(args.title, args.bench_json, args.bench_storage, junits, args.capacity)


def run(args: argparse.Namespace) -> int:
    report = build(args)
    page, summary = render.write(report, args.out)
    print(summary.read_text())
    print(f"report: {page}")
    return 0
