"""Type functions for command-line options, after pytest-xdist: each refuses a bad value with
one sentence saying what it accepts. One place, used by the commands, the locustfile's options
and the pytest options."""
from __future__ import annotations

import argparse
from collections.abc import Callable

from spine_harness.config.settings import TARGET_NAMES


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number in [minimum, maximum]."""
    def parse(value: str) -> int:
        text = value.strip()
        number = int(text) if text.isdigit() else None
        if number is None or number < minimum or (maximum is not None and number > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise argparse.ArgumentTypeError(f"{value!r}: give a whole number of at least {minimum}{upper}")
        return number
    return parse


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def positive_number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number")
    return number


def target_name(value: str) -> str:
    if value not in TARGET_NAMES:
        raise argparse.ArgumentTypeError(f"{value!r} is not a target: use one of {', '.join(TARGET_NAMES)}")
    return value
