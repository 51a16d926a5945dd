"""Acting as an API role exactly as PostgREST (v12+) does for one request: in one transaction,
`set_config('role', ..., true)` and `set_config('request.jwt.claims', <json>, true)`, both
transaction-local so nothing leaks to the next client of a pooled connection.

A plain `SET ROLE` would not be the same thing: PostgREST's settings are per transaction.
"""
from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator

import psycopg

# The claims PostgREST would see for each kind of caller (after verifying the JWT).
API_ROLES = ("anon", "authenticated", "service_role")


def claims_for(role: str, sub: uuid.UUID | str | None = None, **extra) -> dict:
    claims: dict = {"role": role, "iss": "supabase"}
    if sub is not None:
        claims["sub"] = str(sub)
        claims.setdefault("aal", "aal1")
    claims.update(extra)
    return claims


@contextlib.contextmanager
def request(conn: psycopg.Connection, claims: dict, *, commit: bool = False,
            method: str = "GET", path: str = "/") -> Iterator[psycopg.Cursor]:
    """One PostgREST-style request. Rolled back unless `commit`; a missing role claim is anon."""
    role = claims.get("role") or "anon"
    with conn.transaction(force_rollback=not commit):
        cur = conn.cursor()
        cur.execute(
            "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true),"
            " set_config('request.method', %s, true), set_config('request.path', %s, true)",
            (role, json.dumps(claims), method, path),
        )
        yield cur
