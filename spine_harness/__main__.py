"""`python -m spine_harness <command>`: one module per command in spine_harness/commands/."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from spine_harness import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m spine_harness",
                                     description="The Spine harness: start targets, seed data, write reports.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        p = sub.add_parser(info.name.replace("_", "-"), help=mod.HELP, description=mod.__doc__)
        mod.add_arguments(p)
        p.set_defaults(run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
