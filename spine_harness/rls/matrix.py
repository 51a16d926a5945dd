"""Running one cell of the RLS matrix: one operation, as one actor, as one PostgREST request."""
from __future__ import annotations

import dataclasses

import psycopg

from spine_harness.database.impersonation import claims_for, request
from spine_harness.rls.expectations import ACTOR_ROLE, Cell, Outcome
from spine_harness.rls.seed import SeedRows
from spine_harness.rls.statements import STATEMENTS


@dataclasses.dataclass(frozen=True)
class Observed:
    outcome: Outcome
    detail: str


def actor_sub(cell: Cell, seed: SeedRows):
    stmts = STATEMENTS[cell.table]
    if cell.actor == "owner":
        return stmts.insert_owner(seed) if cell.operation == "insert" else stmts.owner(seed)
    if cell.actor == "other":
        return seed.users["other"]
    return None


def hostile_user_claims(seed: SeedRows, sub) -> dict:
    """The claims a signed-in user's token carries, with everything the user can edit set to
    hostile values. GoTrue copies user_metadata (which any user may change for themself through
    /auth/v1/user) into every token, so a policy that trusts it trusts the user: here it claims
    service_role, admin powers, aal2 it never earned, and another user's id and e-mail. The
    claims GoTrue alone sets (role, sub, email, aal, app_metadata) stay true."""
    me = seed.name_of(sub)
    victim = "other" if me != "other" else "owner"
    victim_id, victim_email = str(seed.users[victim]), seed.email(victim)
    return {
        "email": seed.email(me) if me else None,
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {
            "role": "service_role", "is_admin": True, "admin": True, "is_super_admin": True,
            "sub": victim_id, "user_id": victim_id, "id": victim_id, "email": victim_email,
            "aal": "aal2", "amr": [{"method": "totp", "timestamp": 0}],
            "app_metadata": {"role": "service_role", "is_admin": True},
        },
    }


def cell_claims(cell: Cell, seed: SeedRows) -> dict:
    """What PostgREST would see for this cell's actor: anon and service_role carry their API
    key's claims; a signed-in actor also carries hostile user-editable claims."""
    sub = actor_sub(cell, seed)
    extra = hostile_user_claims(seed, sub) if sub is not None else {}
    return claims_for(ACTOR_ROLE[cell.actor], sub, **extra)


def run_cell(conn: psycopg.Connection, seed: SeedRows, cell: Cell) -> Observed:
    """Always rolled back: the matrix never leaves a row behind."""
    query, params = STATEMENTS[cell.table].query(cell.table, cell.operation, seed)
    return observe(conn, cell_claims(cell, seed), query, params)


def observe(conn: psycopg.Connection, claims: dict, query: str, params: tuple, what: str = "row") -> Observed:
    """One statement as an API request with these claims, always rolled back: allowed (it touched
    a row), filtered (accepted, none touched) or denied (42501). The Storage matrix uses it too."""
    try:
        with request(conn, claims) as cur:
            cur.execute(query, params)
            rows = cur.rowcount
    except psycopg.errors.InsufficientPrivilege as exc:
        return Observed(Outcome.DENY, f"42501 {exc.diag.message_primary}")
    return Observed(Outcome.ALLOW if rows > 0 else Outcome.FILTER, f"{rows} {what}(s)")
