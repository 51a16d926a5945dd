"""The memory proof, executed: Postgres runs the stack's postgresql.conf in a memory cgroup at
the db container's limit (8 GiB), and every connection it allows, parallel workers and the
maintenance allowance are driven to their worst case at once on a data set larger than
shared_buffers (spine_harness.capacity.memory_proof). Prints the static proof's lines beside
the measured peak and writes them as JSON for the report; exit 1 if Postgres was OOM-killed, a
session died, or the peak exceeded the proof's total by more than the margin."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from spine_harness.capacity import memory_proof
from spine_harness.config.values import positive_number
from spine_harness.deployment.architecture import SERVICES
from spine_harness.servers import cgroup as cgroups
from spine_harness.servers.postgres import STACK_POSTGRESQL_CONF

HELP = "drive Postgres to the memory proof's worst case inside a cgroup at the db limit, and measure the peak"


def setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: give a setting as name=value, e.g. shared_buffers=64MB")
    return name.strip(), value.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conf", type=Path, default=STACK_POSTGRESQL_CONF, help="postgresql.conf (default: the stack's)")
    parser.add_argument("--set", dest="overrides", type=setting, action="append", default=[], metavar="NAME=VALUE",
                        help="a setting on top of the file (repeatable), e.g. for a small rehearsal")
    parser.add_argument("--limit-mib", type=positive_number, default=float(SERVICES["db"].limit_mib),
                        help="the cgroup's limit (default: the db service's, %(default)g)")
    parser.add_argument("--margin", type=positive_number, default=memory_proof.DEFAULT_MARGIN,
                        help="how far (a fraction of the proof's total) the peak may exceed it (default: %(default)g)")
    parser.add_argument("--hold", type=positive_number, default=5.0, help="seconds everyone holds at the barrier")
    parser.add_argument("--timeout", type=positive_number, default=900.0, help="bound on the whole scenario (seconds)")
    parser.add_argument("--out", type=Path, default=Path("reports/memory-proof.json"))


def run(args: argparse.Namespace) -> int:
    if (why := cgroups.unavailable_reason()):
        print(f"memory-proof: {why}; the proof cannot be executed on this machine")
        return 2
    if not args.conf.is_file():
        print(f"memory-proof: {args.conf} is not a file")
        return 2
    plan = memory_proof.ProofPlan(conf=args.conf, overrides=tuple(args.overrides), limit_mib=args.limit_mib,
                                  hold_seconds=args.hold, timeout_seconds=args.timeout, margin=args.margin)
    result = memory_proof.run(plan, progress=lambda line: print(line, flush=True))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.as_dict(), indent=1))
    print()
    for row in result.table():
        print(row)
    for failure in result.failures:
        print(f"FAIL: {failure}")
    print(f"{'PASS' if result.passed else 'FAIL'}: written to {args.out}")
    return 0 if result.passed else 1
