"""The MFA tables as the API roles see them, with real sealed rows in place: each actor reads
the sensitive columns themselves (so a column grant is caught as well as a policy), and what
it gets must be what sql/rls-expectations.yaml says for a select by that actor."""
from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from spine_harness.database.impersonation import claims_for, request
from spine_harness.rls import expectations as rls_expectations
from spine_harness.rls.expectations import ACTOR_ROLE, ACTORS, Outcome

pytestmark = pytest.mark.needs("database", "pooler")

EXPECTATIONS = rls_expectations.load()
SENSITIVE_COLUMNS = {
    "public.user_totp": ("secret_ciphertext", "secret_nonce", "key_version", "last_accepted_step"),
    "public.mfa_recovery_codes": ("code_hash", "used_at"),
    "public.user_mfa_settings": ("failed_attempts", "locked_until"),
}


@pytest.fixture(scope="module")
def owner_and_other(marked_users, mfa_service):
    """An enrolled owner with recovery codes, and a second signed-in user."""
    owner = marked_users.new("owner")
    mfa_service.enrol(owner, marked_users.email("owner"))
    mfa_service.regenerate_recovery_codes(owner)
    return {"owner": owner, "other": marked_users.new("other")}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("table", list(SENSITIVE_COLUMNS))
def test_sealed_columns_as_api_role(table, actor, api_conn, owner_and_other):
    expected = EXPECTATIONS.expected(table, actor, "select")
    owner = owner_and_other["owner"]
    statement = sql.SQL("select {} from {} where user_id = %s").format(
        sql.SQL(", ").join(map(sql.Identifier, SENSITIVE_COLUMNS[table])), sql.Identifier(*table.split(".")))
    try:
        with request(api_conn, claims_for(ACTOR_ROLE[actor], owner_and_other.get(actor))) as cur:
            cur.execute(statement, (owner,))
            rows = len(cur.fetchall())
    except psycopg.errors.InsufficientPrivilege as exc:
        observed, detail = Outcome.DENY, f"42501 {exc.diag.message_primary}"
    else:
        observed, detail = (Outcome.ALLOW if rows else Outcome.FILTER), f"{rows} of the owner's row(s)"
    assert observed is expected, (
        f"{actor} reading {', '.join(SENSITIVE_COLUMNS[table])} of {table}: expected {expected.value}, "
        f"got {observed.value} ({detail})")
