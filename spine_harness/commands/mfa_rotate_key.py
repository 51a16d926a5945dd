"""Re-seal every TOTP secret under the current key version, so an old key can be retired.

The keyring comes from SPINE_MFA_KEYRING / SPINE_MFA_KEY_VERSION (the new key added and made
current, the old ones still present); the database is the target in the attach file, reached
as the services reach it: authenticator through the pooler, acting as service_role. Safe to
stop and re-run. Prints counts and row ids only, never a key or a secret."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg

from spine_harness.config.values import positive_int
from spine_harness.database.connections import connect
from spine_harness.mfa import keys
from spine_harness.mfa.rotation import rotate
from spine_harness.mfa.sealing import Sealer
from spine_harness.config.paths import STATE_DIR
from spine_harness.config.settings import Settings
from spine_harness.targets import Target, TargetUnavailable

HELP = "re-seal TOTP secrets under the current MFA key version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spine-attach", type=Path, default=STATE_DIR / "attach.json", metavar="FILE",
                        help="the target's endpoints, as `python -m spine_harness up` writes them "
                             "(default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=200,
                        help="rows re-sealed per transaction (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true",
                        help="open every row that needs it and count, but change nothing")


def run(args: argparse.Namespace) -> int:
    try:
        keyring = keys.from_settings(Settings.resolve())
        target = Target.read_attach_file(args.spine_attach)
    except (keys.KeyringError, TargetUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not target.writable and not args.dry_run:
        print(f"error: target '{target.title}' is read-only: re-run with --dry-run, or mark it writable",
              file=sys.stderr)
        return 2
    try:
        with connect(target.api_dsn, autocommit=True) as conn:
            report = rotate(conn, Sealer(keyring), batch_size=args.batch_size, dry_run=args.dry_run)
    except psycopg.Error as exc:
        print(f"error: the database refused ({exc.sqlstate or 'no SQLSTATE'}): {exc.diag.message_primary or exc}",
              file=sys.stderr)
        return 1
    print(report.summary())
    return 1 if report.unopenable else 0
