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


# The same request as one simple-query string (BEGIN, the four settings, the statements, COMMIT),
# for a client that binds its parameters itself (psycopg.ClientCursor): one round trip instead of
# one per statement, with the same transaction and the same transaction-local settings.
_SETTINGS_SQL = ("select set_config('role', %(request_role)s, true),"
                 " set_config('request.jwt.claims', %(request_claims)s, true),"
                 " set_config('request.method', %(request_method)s, true),"
                 " set_config('request.path', %(request_path)s, true)")
SCRIPT_LEAD = 2   # results before the statements' own: BEGIN and the settings


def request_script(statements: tuple[str, ...]) -> str:
    """One PostgREST-style request as a single string; run it with `request_params` merged into
    the statements' parameters, on a client-side binding cursor."""
    return "; ".join(("begin", _SETTINGS_SQL, *statements, "commit"))


def request_params(claims: dict, method: str = "GET", path: str = "/") -> dict:
    return {"request_role": claims.get("role") or "anon", "request_claims": json.dumps(claims),
            "request_method": method, "request_path": path}
