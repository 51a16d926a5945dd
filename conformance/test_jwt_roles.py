"""JWT to database role, on every target with a database, exactly as PostgREST runs a request:
tokens minted with PyJWT, verified the PostgREST way (spine_harness.keys.postgrest), then one
transaction as `authenticator` switched to the token's role with its claims.

What each caller may read comes from the one written table (sql/rls-expectations.yaml). The
attack catalogue is judged through a real gateway (test_gateway_attacks.py); the harness's own
re-implementation of PostgREST's token rules is tested in tests/test_postgrest_rules.py.
"""
from __future__ import annotations

import time
import uuid

import jwt
import psycopg
import pytest

from spine_harness.keys import postgrest as postgrest_auth, tokens
from spine_harness.rls import expectations as rls_expectations
from spine_harness.rls.expectations import ACTOR_ROLE, Outcome
from spine_harness.rls.lints import api_schemas
from spine_harness.rls.matrix import actor_sub
from spine_harness.rls.statements import STATEMENTS
from spine_harness.targets import Target

pytestmark = pytest.mark.needs("database", "pooler")

SELECT_CELLS = [c for c in rls_expectations.load().cells() if c.operation == "select"]
API_ROLES = frozenset(ACTOR_ROLE.values())
NO_SUCH_ROLE = "spine_harness_no_such_role"
SUB = uuid.uuid4()
# caller -> (claims of its token, the role the database must run it as)
CALLERS = {
    "anon": ({"role": "anon"}, "anon"),
    "authenticated": ({"role": "authenticated", "sub": str(SUB), "aal": "aal1"}, "authenticated"),
    "service_role": ({"role": "service_role"}, "service_role"),
    "no_role_claim": ({"sub": str(SUB)}, "anon"),
}
# Refused when authenticator tries to switch: 22023 (no such role) or 42501 (not granted).
SWITCH_REFUSED = (psycopg.errors.InvalidParameterValue, psycopg.errors.InsufficientPrivilege)


def mint(secret: str, **claims) -> str:
    now = int(time.time())
    return jwt.encode({"iss": tokens.API_KEY_ISSUER, "iat": now, "exp": now + 300, **claims}, secret,
                      algorithm="HS256")


@pytest.fixture(scope="module")
def secret(spine: Target) -> str:
    if not spine.jwt_secret:
        pytest.skip(f"target '{spine.name}' does not give its JWT secret (JWT_SECRET): no token can be minted")
    return spine.jwt_secret


@pytest.mark.parametrize("caller", CALLERS)
def test_token_becomes_role(caller, api_conn, secret):
    claims, role = CALLERS[caller]
    with postgrest_auth.request(api_conn, mint(secret, **claims), secret) as cur:
        seen = cur.execute("select current_user::text, auth.uid()").fetchone()
    expected = (role, uuid.UUID(claims["sub"]) if "sub" in claims else None)
    assert seen == expected, (
        f"a {caller} token (claims {sorted(claims)}) ran as (current_user, auth.uid()) = {seen}, expected {expected}")


@pytest.mark.parametrize("cell", SELECT_CELLS, ids=lambda c: f"{c.table}-{c.actor}")
def test_token_reads_what_rls_allows(cell, api_conn, secret, seed_rows):
    claims = {"role": ACTOR_ROLE[cell.actor]}
    if (sub := actor_sub(cell, seed_rows)) is not None:
        claims |= {"sub": str(sub), "aal": "aal1"}
    query, params = STATEMENTS[cell.table].query(cell.table, "select", seed_rows)
    try:
        with postgrest_auth.request(api_conn, mint(secret, **claims), secret) as cur:
            rows = cur.execute(query, params).rowcount
        observed = Outcome.ALLOW if rows else Outcome.FILTER
    except psycopg.errors.InsufficientPrivilege:
        observed = Outcome.DENY
    assert observed is cell.expected, (
        f"a {cell.actor} token reading its target row of {cell.table}: expected {cell.expected.value}, "
        f"got {observed.value}")


@pytest.mark.parametrize("role", [NO_SUCH_ROLE, "postgres", "supabase_admin"])
def test_role_switch_refused(role, api_conn, secret):
    """A validly signed token for a role that does not exist or that authenticator is not
    granted must fail: PostgREST answers it with 401/403, never with a session as that role."""
    try:
        with postgrest_auth.request(api_conn, mint(secret, role=role), secret) as cur:
            became = cur.execute("select current_user::text").fetchone()[0]
    except SWITCH_REFUSED:
        return
    pytest.fail(f"authenticator switched to role {role!r} for a token claiming it (current_user {became!r})")


def test_authenticator_only_switches_roles(api_conn, admin_conn):
    """Logged in as PostgREST does, before any switch: no privileged attribute, NOINHERIT,
    member of the API roles only, and not one privilege on a table the API or GoTrue holds."""
    attrs = api_conn.execute(
        "select rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication"
        " from pg_roles where rolname = current_user").fetchone()
    held = dict(zip(("superuser", "inherit", "createrole", "createdb", "bypassrls", "replication"), attrs))
    assert not any(held.values()), f"authenticator has {', '.join(k for k, v in held.items() if v)}"
    member_of = {r[0] for r in admin_conn.execute(
        "select g.rolname from pg_auth_members m join pg_roles g on g.oid = m.roleid"
        " join pg_roles u on u.oid = m.member where u.rolname = 'authenticator'").fetchall()}
    assert member_of <= API_ROLES, f"authenticator is a member of {', '.join(sorted(member_of - API_ROLES))}"
    schemas = [*api_schemas(admin_conn), "auth"]
    reachable = [r[0] for r in admin_conn.execute(
        "select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname = any(%s)"
        " and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')"
        " and has_table_privilege('authenticator', c.oid,"
        "     'select, insert, update, delete, truncate, references, trigger') order by 1", (schemas,)).fetchall()]
    assert not reachable, f"authenticator itself holds privileges on {', '.join(reachable)}"
