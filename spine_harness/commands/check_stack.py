"""Run the static suite (conformance/test_stack_*.py) on a stack directory: the compose file,
postgresql.conf's memory budget, kong.yml, the ports and the deployment's .env. No server is
started. deploy.sh refuses to deploy unless this passes."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spine_harness.config.paths import CONFORMANCE_DIR, REPO_ROOT, STACK_DIR
from spine_harness.config.settings import Settings
from spine_harness.runs.child import run_pytest

HELP = "run the static suite on a stack directory (needs no server)"
STATIC_SUITES = "test_stack_*.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack-dir", type=Path, default=STACK_DIR, help="the stack (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    if not (args.stack_dir / "docker-compose.yml").exists():
        print(f"check-stack: {args.stack_dir} has no docker-compose.yml", file=sys.stderr)
        return 2
    suites = sorted(str(p.relative_to(REPO_ROOT)) for p in CONFORMANCE_DIR.glob(STATIC_SUITES))
    # The static suite starts no server: it reads the stack directory the settings name.
    settings = Settings.resolve().replace(stack_dir=args.stack_dir.resolve())
    return run_pytest(suites, settings, extra_args=("-q",), capture=False).exit_code
