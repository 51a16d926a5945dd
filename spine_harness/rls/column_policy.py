"""The column policy (sql/column-policy.yaml): what each column of the sensitive schemas may
hold, judged on the catalog (every column in scope is classed, its type fits its class) and on
sampled data (hashed and sealed values are not text; national register numbers and e-mail
addresses appear only where a column is classed to hold them). Findings name the column and
the kind of value, never the value itself."""
from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import psycopg
import yaml
from psycopg import sql

from spine_harness.config.paths import SQL_DIR

COLUMN_POLICY = SQL_DIR / "column-policy.yaml"
OPAQUE_CLASSES = ("hash", "sealed")
SAMPLE_ROWS = 500
# A Mongolian national register number: two Cyrillic letters and eight digits (also as
# transliterated Latin letters); an e-mail address.
NATIONAL_ID = re.compile(r"(?<![\w])[А-ЯЁӨҮA-Z]{2}\s?\d{8}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IDENTITY_VALUES = {"national register number": (NATIONAL_ID, None), "e-mail address": (EMAIL, "email")}
TEXT_TYPES = ("text", "character varying", "character", "citext", "jsonb", "json", "bytea")


@dataclasses.dataclass(frozen=True)
class ColumnPolicy:
    scope: dict[str, re.Pattern]
    classes: dict[str, frozenset[str]]     # class -> the types it allows (empty: any)
    columns: dict[str, dict[str, str]]     # table -> column -> class

    def class_of(self, table: str, column: str) -> str | None:
        return self.columns.get(table, {}).get(column)


def parse(data: dict, source: str = "column policy") -> ColumnPolicy:
    classes = {str(name): frozenset((spec or {}).get("types") or ()) for name, spec in (data.get("classes") or {}).items()}
    columns = {str(t): {str(c): str(k) for c, k in (cols or {}).items()} for t, cols in (data.get("columns") or {}).items()}
    unknown = sorted(f"{t}.{c}: {k}" for t, cols in columns.items() for c, k in cols.items() if k not in classes)
    if unknown:
        raise ValueError(f"{source}: classes not defined under classes: {unknown}")
    scope = {str(schema): re.compile(pattern) for schema, pattern in (data.get("scope") or {}).items()}
    return ColumnPolicy(scope, classes, columns)


@functools.cache
def load(path: Path = COLUMN_POLICY) -> ColumnPolicy:
    return parse(yaml.safe_load(Path(path).read_text()), str(path))


def catalog_columns(conn: psycopg.Connection, policy: ColumnPolicy) -> dict[str, dict[str, str]]:
    """table -> column -> type, for every table in scope (tables, partitioned, matviews too)."""
    rows = conn.execute(
        "select n.nspname, c.relname, a.attname, format_type(a.atttypid, null)"
        " from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p', 'm', 'v', 'f') and a.attnum > 0 and not a.attisdropped"
        " and n.nspname = any(%s) order by 1, 2, a.attnum", (list(policy.scope),)).fetchall()
    found: dict[str, dict[str, str]] = {}
    for schema, table, column, type_ in rows:
        if policy.scope[schema].fullmatch(table):
            found.setdefault(f"{schema}.{table}", {})[column] = type_
    return found


def unclassed(policy: ColumnPolicy, catalog: dict[str, dict[str, str]]) -> list[str]:
    found = [f"{t}.{c} ({type_})" for t, cols in catalog.items() for c, type_ in cols.items()
             if policy.class_of(t, c) is None]
    found += [f"{t}.{c}: listed, but the database has no such column" for t, cols in policy.columns.items()
              for c in cols if c not in catalog.get(t, {})]
    return found


def misfit_types(policy: ColumnPolicy, catalog: dict[str, dict[str, str]]) -> list[str]:
    return [f"{t}.{c} is {type_}; class {k} wants {', '.join(sorted(policy.classes[k]))}"
            for t, cols in catalog.items() for c, type_ in cols.items()
            if (k := policy.class_of(t, c)) and policy.classes[k] and type_ not in policy.classes[k]]


def sample(conn: psycopg.Connection, table: str, column: str, limit: int = SAMPLE_ROWS) -> list:
    schema, name = table.split(".", 1)
    query = sql.SQL("select {} from {} where {} is not null limit {}").format(
        sql.Identifier(column), sql.Identifier(schema, name), sql.Identifier(column), sql.Literal(limit))
    return [row[0] for row in conn.execute(query).fetchall()]


def as_text(value) -> str | None:
    """A sampled value as text: bytes only when they decode as UTF-8."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else str(value)


def reads_as_text(value) -> bool:
    """Opaque bytes that decode to mostly printable text were not hashed or sealed."""
    text = as_text(value) if isinstance(value, (bytes, bytearray, memoryview)) else None
    if not text or len(text) < 4:
        return False
    printable = sum(ch.isprintable() for ch in text)
    return printable / len(text) >= 0.9
