"""`python -m spine_harness <command>`: one module per command in spine_harness/commands/.

Only the chosen command's module is imported (the firewall script runs on every deploy and
should not pay for loading the report's plotting stack); `--help` imports them all to list them.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from spine_harness import commands


def command_names() -> list[str]:
    return sorted(m.name.replace("_", "-") for m in pkgutil.iter_modules(commands.__path__))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m spine_harness",
                                     description="The Spine harness: start targets, seed data, write reports.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name in [only] if only else command_names():
        mod = importlib.import_module(f"{commands.__name__}.{name.replace('-', '_')}")
        p = sub.add_parser(name, help=mod.HELP, description=mod.__doc__)
        mod.add_arguments(p)
        p.set_defaults(run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Its output goes through the secret mask; a user's mistake (a bad value,
    an unusable target) ends in one line and exit 2, never a traceback."""
    from spine_harness.config.settings import SettingsError
    from spine_harness.runs.redaction import MASKER, masked_standard_streams
    from spine_harness.targets.model import TargetUnavailable

    argv = sys.argv[1:] if argv is None else argv
    chosen = argv[0] if argv and argv[0] in command_names() else None
    args = build_parser(chosen).parse_args(argv)
    try:
        from spine_harness.config.settings import Settings
        MASKER.register(Settings.resolve().secrets())
    except SettingsError:
        pass       # the command resolves its settings itself and says what is wrong
    with masked_standard_streams():
        try:
            return args.run(args) or 0
        except (SettingsError, TargetUnavailable) as exc:
            print(f"{args.command}: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main())
