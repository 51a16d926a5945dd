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


def run_cell(conn: psycopg.Connection, seed: SeedRows, cell: Cell) -> Observed:
    """Always rolled back: the matrix never leaves a row behind."""
    query, params = STATEMENTS[cell.table].query(cell.table, cell.operation, seed)
    claims = claims_for(ACTOR_ROLE[cell.actor], actor_sub(cell, seed))
    try:
        with request(conn, claims) as cur:
            cur.execute(query, params)
            rows = cur.rowcount
    except psycopg.errors.InsufficientPrivilege as exc:
        return Observed(Outcome.DENY, f"42501 {exc.diag.message_primary}")
    return Observed(Outcome.ALLOW if rows > 0 else Outcome.FILTER, f"{rows} row(s)")
