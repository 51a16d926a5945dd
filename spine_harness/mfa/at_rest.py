"""Reading the MFA tables as they rest in the database, and recognising what must not be there.

A sealed secret is random bytes and a digest is random bytes; anything in these tables that
reads as base32 text (a TOTP secret or a recovery code typed out) or an otpauth:// URI was
stored in clear. Findings name the table, column and user, never the value.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import string
import uuid

import psycopg
from psycopg import sql

from spine_harness.database.impersonation import request
from spine_harness.mfa.recovery import normalise
from spine_harness.mfa.sealing import Sealed
from spine_harness.mfa.service import SERVICE_CLAIMS

MFA_TABLES = ("public.user_mfa_settings", "public.user_totp", "public.mfa_recovery_codes")
_BASE32_RUN = re.compile(r"[A-Z2-7]{16,}")      # 80 bits or more of base32
_PRINTABLE = frozenset(string.printable.encode())


def _as_text(value) -> str | None:
    if isinstance(value, (bytes, memoryview)):
        raw = bytes(value)
        return raw.decode("ascii") if raw and set(raw) <= _PRINTABLE else None
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return None


def plaintext_kind(value) -> str | None:
    """What secret-looking text `value` holds (described, not quoted), or None."""
    text = _as_text(value)
    if text is None:
        return None
    if "otpauth://" in text.lower():
        return "an otpauth:// URI"
    for run in _BASE32_RUN.findall(normalise(text)):
        try:
            base64.b32decode(run + "=" * (-len(run) % 8))
        except binascii.Error:
            continue
        return f"{len(run)} characters of base32 ({len(run) * 5} bits: a TOTP secret or recovery code in clear)"
    return None


@dataclasses.dataclass(frozen=True)
class Finding:
    table: str
    column: str
    user_id: uuid.UUID
    what: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column} of user {self.user_id}: {self.what}"


def _reads(conn: psycopg.Connection):
    """Read as the services do, in a transaction that is always rolled back."""
    return request(conn, SERVICE_CLAIMS)


def plaintext_findings(conn: psycopg.Connection) -> list[Finding]:
    """Every text, JSON or bytea value of every MFA table, whatever columns they have today."""
    findings = []
    with _reads(conn) as cur:
        for table in MFA_TABLES:
            cur.execute("select attname from pg_attribute where attrelid = %s::regclass and attnum > 0"
                        " and not attisdropped and atttypid = any(array['text', 'varchar', 'bpchar', 'bytea',"
                        " 'json', 'jsonb']::regtype[]) order by attnum", (table,))
            columns = [r[0] for r in cur.fetchall()]
            if not columns:
                continue
            cur.execute(sql.SQL("select user_id, {} from {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(*table.split("."))))
            for user_id, *values in cur:
                findings += [Finding(table, column, user_id, kind)
                             for column, value in zip(columns, values) if (kind := plaintext_kind(value))]
    return findings


@dataclasses.dataclass(frozen=True)
class TotpRow:
    id: uuid.UUID
    user_id: uuid.UUID
    sealed: Sealed


def totp_rows(conn: psycopg.Connection, user_ids: list[uuid.UUID] | None = None) -> list[TotpRow]:
    """The sealed rows: every one, or only those of `user_ids`."""
    with _reads(conn) as cur:
        cur.execute("select id, user_id, secret_ciphertext, secret_nonce, key_version from public.user_totp"
                    " where %(all)s or user_id = any(%(users)s) order by id",
                    {"all": user_ids is None, "users": user_ids or []})
        return [TotpRow(i, u, Sealed(bytes(c), bytes(n), v)) for i, u, c, n, v in cur.fetchall()]


def query(conn: psycopg.Connection, statement: str, params=None) -> list[tuple]:
    with _reads(conn) as cur:
        cur.execute(statement, params)
        return cur.fetchall()
