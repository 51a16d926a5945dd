"""The target options every `python -m spine_harness` command shares, spelled as pytest's and
the locustfile's are, and the one way a command turns its arguments into Settings."""
from __future__ import annotations

import argparse
from pathlib import Path

from spine_harness.config.settings import FIELD_BY_NAME, Settings


def add_target_arguments(parser: argparse.ArgumentParser, attach_help: str | None = None) -> None:
    for name in ("target", "attach"):
        field = FIELD_BY_NAME[name]
        help_text = (attach_help if name == "attach" and attach_help else field.help) + f"; also {field.variable}"
        parser.add_argument(field.option, dest=f"spine_{name}", default=None,
                            type=Path if name == "attach" else str, metavar=name.upper(),
                            help=help_text.replace("%", "%%"))


def settings_from(args: argparse.Namespace, **given) -> Settings:
    """Settings from the command's target options (and any other fields given), over the
    environment; raises SettingsError on a bad value."""
    cli = {"target": getattr(args, "spine_target", None), "attach": getattr(args, "spine_attach", None)} | given
    return Settings.resolve(cli)
