"""The harness's own rows: four marked users and one row of every table for the RLS matrix.

Every row hangs off users whose e-mail ends in @spine-harness.invalid and whose app metadata
carries the run id, so removal touches nothing else, on a remote target too.
"""
from __future__ import annotations

import dataclasses
import json
import os
import secrets
import uuid
from datetime import datetime, timedelta, timezone

import psycopg

MARK_DOMAIN = "spine-harness.invalid"
# owner: owns one row of every table; other: a second signed-in user; newcomer: has a profile
# and nothing else (so 1:1 rows can be inserted for them); bare: an auth user with no profile.
SEED_USERS = ("owner", "other", "newcomer", "bare")


@dataclasses.dataclass(frozen=True)
class SeedRows:
    run_id: str
    users: dict[str, uuid.UUID]
    certificate: uuid.UUID          # the owner's certificate, referenced by the signing log
    spare_certificate: uuid.UUID    # the owner's certificate nothing refers to (safe to delete)
    signing_log: int
    recovery_code: uuid.UUID
    verification_log: int

    def email(self, name: str) -> str:
        return _email(name, self.run_id)

    def name_of(self, user_id) -> str | None:
        return next((name for name, uid in self.users.items() if uid == user_id), None)


def _email(name: str, run_id: str) -> str:
    return f"{name}-{run_id}@{MARK_DOMAIN}"


def new_certificate_row(user_id: uuid.UUID) -> dict:
    now = datetime.now(timezone.utc)
    return {
        "user_id": user_id, "serial_number": secrets.token_hex(16),
        "subject_dn": f"CN=spine-harness {user_id}", "issuer_dn": "CN=Spine Harness Test CA",
        "fingerprint_sha256": os.urandom(32), "not_before": now - timedelta(days=1),
        "not_after": now + timedelta(days=365),
    }


def new_signing_log_row(user_id: uuid.UUID, certificate_id: uuid.UUID) -> dict:
    return {"user_id": user_id, "certificate_id": certificate_id, "document_hash": os.urandom(32),
            "document_name": "spine-harness.pdf", "signature_algorithm": "ECDSA-P256-SHA256"}


def _insert(cur: psycopg.Cursor, table: str, row: dict, returning: str | None = None):
    cols = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    q = f"insert into {table} ({cols}) values ({marks})" + (f" returning {returning}" if returning else "")
    cur.execute(q, list(row.values()))
    return cur.fetchone()[0] if returning else None


def create(conn: psycopg.Connection) -> SeedRows:
    """Insert and commit the seed rows (with the privileged direct login)."""
    run_id = secrets.token_hex(4)
    users = {name: uuid.uuid4() for name in SEED_USERS}
    with conn.transaction():
        cur = conn.cursor()
        for name, uid in users.items():
            _insert(cur, "auth.users", {"id": uid, "email": _email(name, run_id),
                                        "raw_app_meta_data": json.dumps({"spine_harness": run_id})})
        # The profile trigger gave every auth user a profile; `bare` must have none.
        cur.execute("delete from public.users where id = %s", (users["bare"],))
        for name in ("owner", "other", "newcomer"):
            cur.execute("insert into public.users (id) values (%s) on conflict (id) do nothing", (users[name],))
        owner = users["owner"]
        _insert(cur, "public.user_mfa_settings", {"user_id": owner, "totp_enabled": True})
        _insert(cur, "public.user_totp", {"user_id": owner, "secret_ciphertext": os.urandom(36),
                                          "secret_nonce": os.urandom(12), "key_version": 1})
        code = _insert(cur, "public.mfa_recovery_codes",
                       {"user_id": owner, "batch_id": uuid.uuid4(), "code_hash": os.urandom(32)}, "id")
        cert = _insert(cur, "gesign.certificates", new_certificate_row(owner), "id")
        spare = _insert(cur, "gesign.certificates", new_certificate_row(owner), "id")
        log = _insert(cur, "gesign.signing_logs", new_signing_log_row(owner, cert), "id")
        _insert(cur, "eid.national_id_metadata", {
            "user_id": owner, "national_id_hmac": os.urandom(32), "issuing_authority": "spine-harness",
            "assurance_level": "substantial", "verified_at": datetime.now(timezone.utc)})
        vlog = _insert(cur, "eid.verification_logs", {
            "user_id": owner, "method": "nfc_chip", "result": "success", "requested_by": "spine-harness"}, "id")
    return SeedRows(run_id, users, cert, spare, log, code, vlog)


def remove(conn: psycopg.Connection, seed: SeedRows) -> None:
    """Delete exactly the rows `create` made (append-only logs first: they restrict deletes)."""
    ids = list(seed.users.values())
    with conn.transaction():
        cur = conn.cursor()
        cur.execute("delete from gesign.signing_logs where user_id = any(%s)", (ids,))
        cur.execute("delete from eid.verification_logs where user_id = any(%s)", (ids,))
        cur.execute("delete from gesign.certificates where user_id = any(%s)", (ids,))
        cur.execute("delete from auth.users where id = any(%s) and email like %s",
                    (ids, f"%-{seed.run_id}@{MARK_DOMAIN}"))
