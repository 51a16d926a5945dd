"""Run the static suite (conformance/test_stack_*.py) on a stack directory: the compose file,
postgresql.conf's memory budget, kong.yml, the ports and the deployment's .env. No server is
started. deploy.sh refuses to deploy unless this passes."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from spine_harness.paths import CONFORMANCE_DIR, REPO_ROOT, STACK_DIR
from spine_harness.targets.model import Target

HELP = "run the static suite on a stack directory (needs no server)"
STATIC_SUITES = "test_stack_*.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack-dir", type=Path, default=STACK_DIR, help="the stack (default: %(default)s)")


def static_target(stack_dir: Path) -> Target:
    """A target with no servers at all: the static suite needs none, so nothing else can run."""
    return Target(name="static", capabilities=frozenset(), stack_dir=Path(stack_dir).resolve(),
                  label=f"stack {stack_dir}")


def run(args: argparse.Namespace) -> int:
    if not (args.stack_dir / "docker-compose.yml").exists():
        print(f"check-stack: {args.stack_dir} has no docker-compose.yml", file=sys.stderr)
        return 2
    suites = sorted(str(p.relative_to(REPO_ROOT)) for p in CONFORMANCE_DIR.glob(STATIC_SUITES))
    with tempfile.TemporaryDirectory(prefix="spine-check-stack-") as tmp:
        attach = static_target(args.stack_dir).write_attach_file(Path(tmp) / "target.json")
        cmd = [sys.executable, "-m", "pytest", *suites, "--spine-attach", str(attach), "-q", "-p", "no:randomly"]
        return subprocess.run(cmd, cwd=REPO_ROOT).returncode
