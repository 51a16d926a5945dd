"""The RLS expectation cells (sql/rls-expectations.yaml) as PostgREST requests through the
gateway, and the answer read back as an RLS outcome. The rows are the RLS suite's seed rows and
its statements' targets, so the HTTP suite judges exactly the cells the SQL suite judges.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
import uuid

import httpx

from spine_harness.rls.expectations import Cell, Outcome
from spine_harness.rls.seed import SeedRows
from spine_harness.rls.statements import STATEMENTS

RETURN_ROWS = {"Prefer": "return=representation"}
METHODS = {"select": "GET", "insert": "POST", "update": "PATCH", "delete": "DELETE"}


@dataclasses.dataclass(frozen=True)
class RestRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: object = None

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.method} {self.path}{'?' + query if query else ''}"


def split_table(table: str) -> tuple[str, str]:
    schema, name = table.split(".")
    return schema, name


def profile_header(schema: str, method: str) -> dict[str, str]:
    """PostgREST picks the schema from Accept-Profile (reads) or Content-Profile (writes)."""
    return {"Accept-Profile" if method == "GET" else "Content-Profile": schema}


def to_json(value):
    """A Python value as PostgREST reads it from JSON (bytea as hex text)."""
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def updated_column(table: str) -> str:
    """The column the RLS statements' harmless UPDATE sets."""
    return re.match(r"\s*(\w+)\s*=", STATEMENTS[table].update_set).group(1)


def row_filter(table: str, seed: SeedRows) -> dict[str, str]:
    stmts = STATEMENTS[table]
    return {stmts.key: f"eq.{stmts.target(seed)}"}


def cell_request(cell: Cell, seed: SeedRows, update_value=None) -> RestRequest:
    """The request for one cell; an update writes `update_value` (the column's current value,
    so an allowed update changes nothing) into the column the SQL statement sets."""
    schema, name = split_table(cell.table)
    stmts = STATEMENTS[cell.table]
    method = METHODS[cell.operation]
    headers = profile_header(schema, method) | ({} if method == "GET" else RETURN_ROWS)
    params = {"select": stmts.key}
    body = None
    if cell.operation == "insert":
        body = {k: to_json(v) for k, v in stmts.insert_row(seed).items()}
    else:
        params |= row_filter(cell.table, seed)
    if cell.operation == "update":
        body = {updated_column(cell.table): update_value}
    return RestRequest(method, f"/rest/v1/{name}", params, headers, body)


def outcome_of(response: httpx.Response) -> Outcome | None:
    """401/403 is a refusal; a JSON array is rows touched (allow) or none (filter); anything
    else is no RLS outcome at all."""
    if response.status_code in (401, 403):
        return Outcome.DENY
    if response.is_success:
        try:
            rows = response.json()
        except ValueError:
            return None
        if isinstance(rows, list):
            return Outcome.ALLOW if rows else Outcome.FILTER
    return None
