"""The database at a glance: health, connections and who holds them, database sizes, bloat,
long transactions and replication slots. Read-only. Connects through Supavisor's session port
on this host with the credentials of the deployment's .env, or to --dsn / SPINE_DB_URL."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg

from spine_harness.deployment.envfile import read_env_file
from spine_harness.config.paths import STACK_DIR
from spine_harness.config.settings import Settings
from spine_harness.deployment import dbstatus

HELP = "show the database's health, connections, sizes, bloat and long transactions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, default=STACK_DIR / ".env",
                        help="the deployment's env file (default: %(default)s)")
    parser.add_argument("--dsn", default=None,
                        help="connect here instead (also SPINE_DB_URL); it is never printed")
    parser.add_argument("--long-transaction-seconds", type=int, default=dbstatus.LONG_TRANSACTION_S,
                        help="report transactions open longer than this (default: %(default)s)")


def _dsn(args: argparse.Namespace) -> str:
    if dsn := args.dsn or Settings.resolve().remote.get("SPINE_DB_URL"):
        return dsn
    if not args.env_file.exists():
        raise KeyError(f"{args.env_file} does not exist: pass --dsn or run scripts/generate-secrets.sh first")
    return dbstatus.dsn_from_env(read_env_file(args.env_file))


def run(args: argparse.Namespace) -> int:
    try:
        dsn = _dsn(args)
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:
            conn.execute("set default_transaction_read_only = on")
            sections = dbstatus.report(conn, args.long_transaction_seconds)
    except KeyError as exc:
        print(f"db-status: {exc.args[0]}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"db-status: cannot read the database: {type(exc).__name__}: "
              f"{str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
    for section in sections:
        print("\n".join(section.lines()))
    worries = [s.title for s in sections if s.verdict]
    print(f"\n{len(worries)} section(s) need a look: {', '.join(worries)}" if worries else "\nnothing needs a look")
    return 0
