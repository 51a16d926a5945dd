"""What the MFA tables hold at rest, read from the target's database as the services read it:
sealed secrets and digests only, of the right sizes, no nonce twice, each secret bound to its
own row. On a writable target the suite first enrols users of its own through the
implementation under test, so there is always something to judge; on a read-only one it judges
the deployment's rows alone."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from psycopg import sql

from spine_harness.database.impersonation import request
from spine_harness.mfa import at_rest
from spine_harness.mfa.keys import KeyringError
from spine_harness.mfa.sealing import NONCE_BYTES, TAG_BYTES, totp_associated_data
from spine_harness.mfa.service import SERVICE_CLAIMS
from spine_harness.mfa.totp import SECRET_BYTES

pytestmark = pytest.mark.needs("database", "pooler")

def test_no_column_holds_a_totp_secret_or_recovery_code(api_conn, enrolled_users):
    findings = at_rest.plaintext_findings(api_conn)
    assert not findings, "secrets stored in clear:\n  " + "\n  ".join(map(str, findings))


def test_sealed_rows_have_a_12_byte_nonce_and_a_sealed_160_bit_ciphertext(api_conn, enrolled_users):
    expected = SECRET_BYTES + TAG_BYTES
    bad = at_rest.query(api_conn, "select user_id, octet_length(secret_nonce), octet_length(secret_ciphertext)"
                                  " from public.user_totp where octet_length(secret_nonce) <> %s"
                                  " or octet_length(secret_ciphertext) <> %s", (NONCE_BYTES, expected))
    assert not bad, (f"user_totp rows not shaped as sealed (nonce {NONCE_BYTES}, ciphertext {expected} bytes): "
                     + "; ".join(f"user {u}: nonce {n}, ciphertext {c}" for u, n, c in bad))


def test_no_nonce_is_reused_under_one_key(api_conn, enrolled_users):
    reused = at_rest.query(api_conn, "select key_version, count(*) from public.user_totp"
                                     " group by key_version, secret_nonce having count(*) > 1")
    assert not reused, "nonces used more than once under one key: " + "; ".join(
        f"key version {v}: one nonce on {n} rows" for v, n in reused)


def test_recovery_code_hashes_are_32_bytes(api_conn, enrolled_users):
    bad = at_rest.query(api_conn, "select user_id, octet_length(code_hash) from public.mfa_recovery_codes"
                                  " where octet_length(code_hash) <> 32")
    assert not bad, "recovery codes not stored as SHA-256 digests: " + "; ".join(
        f"user {u}: {n} bytes" for u, n in bad)


def test_every_sealed_secret_opens_for_its_own_row_only(api_conn, mfa_keys, mfa_sealer, enrolled_users):
    rows = at_rest.totp_rows(api_conn, None if mfa_keys.deployment else enrolled_users)
    if not rows:
        pytest.skip("no sealed rows to open: set SPINE_MFA_KEYRING to the deployment's keyring, "
                    "or SPINE_ALLOW_WRITES=1 so the suite can seal rows of its own")
    problems = []
    for n, row in enumerate(rows):
        try:
            mfa_sealer.open(row.sealed, totp_associated_data(row.user_id, row.id))
        except (InvalidTag, KeyringError) as exc:
            problems.append(f"user {row.user_id} row {row.id}: does not open for its own row ({type(exc).__name__})")
            continue
        other = rows[(n + 1) % len(rows)] if len(rows) > 1 else None
        other_user, other_row = (other.user_id, other.id) if other else (uuid.uuid4(), uuid.uuid4())
        try:
            mfa_sealer.open(row.sealed, totp_associated_data(other_user, other_row))
        except InvalidTag:
            continue
        problems.append(f"user {row.user_id} row {row.id}: also opens as user {other_user}'s row")
    assert not problems, f"of {len(rows)} sealed rows:\n  " + "\n  ".join(problems)


def _nonce() -> bytes:
    return uuid.uuid4().bytes[:NONCE_BYTES]


_TOTP_COLUMNS = ("user_id", "secret_ciphertext", "secret_nonce", "key_version")
_SEALED = bytes(SECRET_BYTES + TAG_BYTES)
# case: (table, columns, rows to insert in one statement, the SQLSTATE the schema must answer)
MALFORMED = {
    "ciphertext-unsealed": ("public.user_totp", _TOTP_COLUMNS,
                            lambda: [(uuid.uuid4(), b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", _nonce(), 1)], "23514"),
    "nonce-not-96-bit": ("public.user_totp", _TOTP_COLUMNS,
                         lambda: [(uuid.uuid4(), _SEALED, bytes(16), 1)], "23514"),
    "nonce-reused": ("public.user_totp", _TOTP_COLUMNS,
                     lambda: [(uuid.uuid4(), _SEALED, nonce, 1) for nonce in [_nonce()] * 2], "23505"),
    "recovery-code-unhashed": ("public.mfa_recovery_codes", ("user_id", "batch_id", "code_hash"),
                               lambda: [(uuid.uuid4(), uuid.uuid4(), b"ABCD-EFGH-IJKL-MNOP-QRST-UVWX")], "23514"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_schema_refuses_malformed_rows(case, spine, api_conn):
    """The CHECK and UNIQUE constraints in sql/ hold even against a buggy service. The rows name
    users that do not exist: their shape is judged as each row goes in, the foreign key only at
    the statement's end, and the transaction is rolled back either way."""
    if not spine.writable:
        pytest.skip(f"target '{spine.name}' is read-only: set SPINE_ALLOW_WRITES=1 to try (rolled-back) inserts")
    table, columns, make_rows, sqlstate = MALFORMED[case]
    rows = make_rows()
    row_marks = sql.SQL("({})").format(sql.SQL(", ").join(sql.Placeholder() * len(columns)))
    statement = sql.SQL("insert into {} ({}) values {}").format(
        sql.Identifier(*table.split(".")), sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join([row_marks] * len(rows)))
    try:
        with request(api_conn, SERVICE_CLAIMS, method="POST") as cur:
            cur.execute(statement, [value for row in rows for value in row])
    except psycopg.Error as exc:
        assert exc.sqlstate == sqlstate, (
            f"{case}: {table} refused the row with {exc.sqlstate} ({exc.diag.message_primary}), expected {sqlstate}")
        return
    pytest.fail(f"{case}: {table} accepted the row(s), expected SQLSTATE {sqlstate}")
