"""Build the nightly report from what the other jobs left under reports/: the latest benchmark
JSON and the saved runs before it, the last capacity run, and the results records of the
conformance runs (reports/runs/, the latest per target, each with its time, commit and whether
it was complete). Writes report.html and summary.md, prints the summary for the CI log, and
exits 1 when the report's headline is not a pass."""
from __future__ import annotations

import argparse
from pathlib import Path

from spine_harness.config.paths import REPO_ROOT
from spine_harness.config.settings import Settings
from spine_harness.report import render
from spine_harness.runs import records
from spine_harness.runs.redaction import redact_tree

HELP = "build the nightly report (HTML + Markdown) from benchmark, capacity and conformance results"
REPORTS = REPO_ROOT / "reports"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bench-json", type=Path, default=REPORTS / "bench" / "latest.json")
    parser.add_argument("--bench-storage", type=Path, default=REPO_ROOT / ".benchmarks",
                        help="pytest-benchmark's saved runs, for the trend plots (default: %(default)s)")
    parser.add_argument("--capacity", type=Path, default=REPORTS / "capacity" / "capacity.json")
    parser.add_argument("--runs", type=Path, default=None, metavar="DIR",
                        help="where the results records are (DIR/runs/*.json; default: the settings' "
                             "reports folder, SPINE_REPORTS or reports/)")
    parser.add_argument("--out", type=Path, default=REPORTS)
    parser.add_argument("--title", default="Spine nightly report")


def build(args: argparse.Namespace) -> render.Report:
    folder = args.runs or Settings.resolve().reports_dir
    return render.assemble(args.title, args.bench_json, args.bench_storage, records.read_all(folder), args.capacity)


def run(args: argparse.Namespace) -> int:
    report = build(args)
    page, summary = render.write(report, args.out)
    redact_tree(args.out)
    print(summary.read_text())
    print(f"report: {page}")
    return 0 if report.runs and not report.failing_areas and all(r.complete for r in report.runs.values()) else 1
