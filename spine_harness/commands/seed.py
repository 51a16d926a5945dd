"""Create (or, with --remove, delete) the load test's population: N marked users, each with a
profile, MFA enrolment, one certificate and a few signing logs. Set-based SQL, one transaction,
so 100k users take seconds and a failure leaves nothing behind. Only the harness's own marked
rows are ever replaced or removed."""
from __future__ import annotations

import argparse

from spine_harness.config.values import non_negative_int, positive_int
from spine_harness.database.connections import connect
from spine_harness.capacity import population
from spine_harness.capacity.target import database_dsn, running_target
from spine_harness.config.cli import add_target_arguments, settings_from

HELP = "create or remove the load test's marked users, certificates and signing logs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=positive_int, default=100_000, help="how many users (default: %(default)s)")
    parser.add_argument("--logs-per-user", type=non_negative_int, default=3,
                        help="signing logs per user (default: %(default)s)")
    parser.add_argument("--remove", action="store_true", help="delete the load rows instead of creating them")
    add_target_arguments(parser, "endpoints written by `python -m spine_harness up` (default: .spine/attach.json)")


def run(args: argparse.Namespace) -> int:
    target = running_target(settings_from(args))
    if not target.writable:
        print(f"seed: target '{target.title}' is read-only: set SPINE_ALLOW_WRITES=1 to let the harness "
              "create (and later remove) its own marked rows")
        return 2
    with connect(database_dsn(target), autocommit=True) as conn:
        if args.remove:
            print(f"removing the load population from '{target.title}'", flush=True)
            removed = population.remove(conn, progress=lambda line: print(line, flush=True))
            print(f"removed {removed:,} load users and their rows")
            return 0
        print(f"seeding {args.users:,} users x {args.logs_per_user} signing logs into '{target.title}'", flush=True)
        result = population.create(conn, args.users, args.logs_per_user,
                                   progress=lambda line: print(line, flush=True))
    print(f"seeded {result.users:,} load users in {result.seconds:.1f}s")
    return 0
