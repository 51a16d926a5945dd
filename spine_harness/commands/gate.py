"""The pre-deploy gate: every conformance suite in strict mode, a short load smoke and the
benchmark regression check; one JUnit file, the report, and an exit code that says no."""
from __future__ import annotations

import argparse
from pathlib import Path

from spine_harness.config.cli import add_target_arguments, settings_from
from spine_harness.config.paths import REPO_ROOT
from spine_harness.config.values import whole_number
from spine_harness.runs.predeploy import BENCH_THRESHOLD_WHY, GateOptions, run_gate

HELP = "the pre-deploy gate: strict conformance, load smoke, benchmark regression; exit 1 means no"


def _threshold(value: str) -> float:
    try:
        f = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a fraction or percentage (e.g. 25%)") from None
    if not 0 < f < 5:
        raise argparse.ArgumentTypeError(f"{value!r}: the threshold must be between 0% and 500%")
    return f


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser, "judge servers another process started (`python -m spine_harness up`)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "gate")
    parser.add_argument("--load-seconds", type=whole_number(1, 600), default=10)
    parser.add_argument("--skip-load", action="store_true", help="leave out the load smoke")
    parser.add_argument("--bench-threshold", type=_threshold, default=1.0,
                        help="how much slower a benchmark's fastest round may get: "
                             + BENCH_THRESHOLD_WHY.replace("%", "%%"))
    parser.add_argument("--ratio-threshold", type=_threshold, default=0.25,
                        help="how much worse an interleaved ratio may get (default 25%%)")


def run(args: argparse.Namespace) -> int:
    from spine_harness.config.settings import SettingsError
    from spine_harness.targets import TargetUnavailable
    try:
        return run_gate(GateOptions(out_dir=args.out, settings=settings_from(args),
                                    load_seconds=args.load_seconds, skip_load=args.skip_load,
                                    bench_threshold=args.bench_threshold, ratio_threshold=args.ratio_threshold))
    except (TargetUnavailable, SettingsError) as exc:
        print(f"GATE: NO: {exc}")
        return 1

