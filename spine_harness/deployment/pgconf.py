"""stack/volumes/db/postgresql.conf read as Postgres reads it: the last assignment wins, and
memory settings are converted from their units (or their base unit when none is written)."""
from __future__ import annotations

import re
from pathlib import Path

POSTGRESQL_CONF = Path("volumes") / "db" / "postgresql.conf"

_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=?\s*('(?:[^']|'')*'|[^#\s]+)?")
_SIZE = re.compile(r"^\s*(-?\d+)\s*(B|kB|MB|GB|TB)?\s*$")
_UNIT_KIB = {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024 ** 2, "TB": 1024 ** 3}
# The unit a bare number means, per setting (pg_settings.unit), in KiB.
BASE_UNIT_KIB = {"shared_buffers": 8, "wal_buffers": 8, "effective_cache_size": 8,
                 "work_mem": 1, "maintenance_work_mem": 1, "autovacuum_work_mem": 1, "temp_buffers": 8}


class ConfError(ValueError):
    """A setting is missing or not understood; the message names it."""


def parse(text: str) -> dict[str, str]:
    settings = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m and m[2] is not None:
            value = m[2]
            if value.startswith("'"):
                value = value[1:-1].replace("''", "'")
            settings[m[1].lower()] = value
    return settings


def load(stack_dir: Path) -> dict[str, str]:
    return parse((Path(stack_dir) / POSTGRESQL_CONF).read_text())


def size_mib(settings: dict[str, str], name: str) -> float:
    """A memory setting in MiB; -1 stays -1 (the setting's 'use the default' marker)."""
    if name not in settings:
        raise ConfError(f"{name} is not set in postgresql.conf")
    m = _SIZE.match(settings[name])
    if m is None:
        raise ConfError(f"{name} = {settings[name]!r} is not a memory size")
    number = int(m[1])
    if number == -1:
        return -1
    kib = number * (_UNIT_KIB[m[2]] if m[2] else BASE_UNIT_KIB.get(name, 1))
    return kib / 1024


def integer(settings: dict[str, str], name: str) -> int:
    try:
        return int(settings[name])
    except KeyError:
        raise ConfError(f"{name} is not set in postgresql.conf") from None
    except ValueError:
        raise ConfError(f"{name} = {settings[name]!r} is not a whole number") from None
