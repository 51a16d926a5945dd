"""For each table: which seeded row each operation targets, and a harmless statement per
operation. Kept beside the seed because the two must agree."""
from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from psycopg import sql

from spine_harness.rls.seed import SeedRows, new_certificate_row, new_signing_log_row


@dataclasses.dataclass(frozen=True)
class TableStatements:
    key: str                                       # column that identifies the target row
    target: Callable[[SeedRows], object]           # the owner's row every operation but insert targets
    owner: Callable[[SeedRows], uuid.UUID]         # whose row that is
    insert_owner: Callable[[SeedRows], uuid.UUID]  # who a newly inserted row belongs to
    insert_row: Callable[[SeedRows], dict]         # a fresh, valid row for insert_owner
    update_set: str                                # a SET clause that changes the row harmlessly

    def query(self, table: str, operation: str, seed: SeedRows) -> tuple[sql.Composed, list]:
        schema, name = table.split(".")
        ident = sql.Identifier(schema, name)
        key = sql.Identifier(self.key)
        if operation == "select":
            return sql.SQL("select 1 from {} where {} = %s").format(ident, key), [self.target(seed)]
        if operation == "update":
            return (sql.SQL("update {} set {} where {} = %s").format(ident, sql.SQL(self.update_set), key),
                    [self.target(seed)])
        if operation == "delete":
            return sql.SQL("delete from {} where {} = %s").format(ident, key), [self.target(seed)]
        if operation == "insert":
            row = self.insert_row(seed)
            return (sql.SQL("insert into {} ({}) values ({})").format(
                ident, sql.SQL(", ").join(map(sql.Identifier, row)), sql.SQL(", ").join(sql.Placeholder() * len(row))),
                list(row.values()))
        raise ValueError(f"unknown operation {operation!r}")


def _owner(s: SeedRows) -> uuid.UUID:
    return s.users["owner"]


def _newcomer(s: SeedRows) -> uuid.UUID:
    return s.users["newcomer"]


STATEMENTS: dict[str, TableStatements] = {
    # Profile operations target the newcomer: deleting the owner's profile would be refused by
    # the signing logs that (rightly) restrict it.
    "public.users": TableStatements(
        key="id", target=_newcomer, owner=_newcomer, insert_owner=lambda s: s.users["bare"],
        insert_row=lambda s: {"id": s.users["bare"], "display_name": "spine-harness"},
        update_set="display_name = 'spine-harness'"),
    "public.user_mfa_settings": TableStatements(
        key="user_id", target=_owner, owner=_owner, insert_owner=_newcomer,
        insert_row=lambda s: {"user_id": _newcomer(s)}, update_set="updated_at = now()"),
    "public.user_totp": TableStatements(
        key="user_id", target=_owner, owner=_owner, insert_owner=_newcomer,
        insert_row=lambda s: {"user_id": _newcomer(s), "secret_ciphertext": os.urandom(36),
                              "secret_nonce": os.urandom(12), "key_version": 1},
        update_set="updated_at = now()"),
    "public.mfa_recovery_codes": TableStatements(
        key="id", target=lambda s: s.recovery_code, owner=_owner, insert_owner=_owner,
        insert_row=lambda s: {"user_id": _owner(s), "batch_id": uuid.uuid4(), "code_hash": os.urandom(32)},
        update_set="used_at = now()"),
    "gesign.certificates": TableStatements(
        key="id", target=lambda s: s.spare_certificate, owner=_owner, insert_owner=_owner,
        insert_row=lambda s: new_certificate_row(_owner(s)), update_set="subject_dn = subject_dn"),
    "gesign.signing_logs": TableStatements(
        key="id", target=lambda s: s.signing_log, owner=_owner, insert_owner=_owner,
        insert_row=lambda s: new_signing_log_row(_owner(s), s.certificate),
        update_set="document_name = 'tampered'"),
    "eid.national_id_metadata": TableStatements(
        key="user_id", target=_owner, owner=_owner, insert_owner=_newcomer,
        insert_row=lambda s: {"user_id": _newcomer(s), "national_id_hmac": os.urandom(32),
                              "issuing_authority": "spine-harness", "assurance_level": "low",
                              "verified_at": datetime.now(timezone.utc)},
        update_set="updated_at = now()"),
    "eid.verification_logs": TableStatements(
        key="id", target=lambda s: s.verification_log, owner=_owner, insert_owner=_owner,
        insert_row=lambda s: {"user_id": _owner(s), "method": "bank_id", "result": "failure",
                              "requested_by": "spine-harness"},
        update_set="result = 'success'"),
}
