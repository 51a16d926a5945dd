"""Write the deployment's .env from .env.example with fresh secrets: JWT_SECRET, ANON_KEY and
SERVICE_ROLE_KEY signed HS256 with it, the key model's variables (`--keys asymmetric`: an EC
P-256 signing key in JWT_KEYS with the legacy secret kept, its JWKS, ES256 internal keys; both
models: opaque sb_publishable_/sb_secret_ keys), and every other secret the stack needs. An
existing .env is kept unless --force, and then backed up first. No secret is printed."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spine_harness.config.paths import STACK_DIR
from spine_harness.config.settings import KEY_MODELS
from spine_harness.deployment import deployment_env

HELP = "write stack/.env with fresh secrets (never overwrites without --force)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack-dir", type=Path, default=STACK_DIR, help="the stack (default: %(default)s)")
    parser.add_argument("--env-file", type=Path, default=None,
                        help="where to write (default: STACK_DIR/.env)")
    parser.add_argument("--force", action="store_true", help="replace an existing env file (it is backed up first)")
    parser.add_argument("--keys", choices=KEY_MODELS, default="legacy",
                        help="the key model: legacy (HS256 only) or asymmetric (ES256 signing key, JWKS); "
                             "default: %(default)s")
    parser.add_argument("--backup-dir", type=Path, default=deployment_env.BACKUP_DIR,
                        help="where a replaced env file is kept (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    target = args.env_file or args.stack_dir / deployment_env.ENV_FILE
    example = args.stack_dir / deployment_env.ENV_EXAMPLE
    if not example.exists():
        print(f"generate-secrets: {example} does not exist", file=sys.stderr)
        return 2
    try:
        backup = deployment_env.write(target, deployment_env.generate(args.stack_dir, keys=args.keys), force=args.force,
                                      backup_dir=args.backup_dir)
    except deployment_env.EnvFileExists as exc:
        print(f"generate-secrets: {exc}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"generate-secrets: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"wrote {target} (mode 0600, {args.keys} keys) with fresh {', '.join(deployment_env.GENERATED)}")
    if backup:
        print(f"the previous file is kept as {backup} (mode 0600)")
    return 0
