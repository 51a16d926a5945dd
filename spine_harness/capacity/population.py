"""The load test's population: N users with a profile, MFA enrolment, a certificate and a few
signing logs each, made by a handful of set-based statements (generate_series) so that 100k users
take seconds, and removed by the same mark.

Identities are derived from the user's index (md5 of a fixed prefix, read as a uuid) by Postgres
and Python alike, so Locust users and pgbench scripts address the same rows without fetching
them first. Every row hangs off auth.users rows marked like the harness's other rows (an e-mail
in the reserved .invalid domain) plus `{"spine_harness": "load"}` in app metadata.
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from collections.abc import Callable

import psycopg

from spine_harness.rls.seed import MARK_DOMAIN

LOAD_MARK = "load"
USER_PREFIX = "spine-load-user-"
CERT_PREFIX = "spine-load-cert-"
# Both conditions, so removal can never reach a row the harness did not make.
MARKED_USERS = (f"select id from auth.users where raw_app_meta_data ->> 'spine_harness' = '{LOAD_MARK}'"
                f" and email like 'load-%@{MARK_DOMAIN}'")


def _md5_uuid(prefix: str, index: int) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(f"{prefix}{index}".encode()).hexdigest())


def user_id(index: int) -> uuid.UUID:
    """The id of load user `index` (1-based), as `md5('spine-load-user-' || i)::uuid` in SQL."""
    return _md5_uuid(USER_PREFIX, index)


def certificate_id(index: int) -> uuid.UUID:
    return _md5_uuid(CERT_PREFIX, index)


def user_id_sql(index_expr: str) -> str:
    """The same derivation in SQL, for pgbench scripts (`index_expr` is e.g. `:i`)."""
    return f"md5('{USER_PREFIX}' || {index_expr})::uuid"


def certificate_id_sql(index_expr: str) -> str:
    return f"md5('{CERT_PREFIX}' || {index_expr})::uuid"


# One statement per table, in dependency order. %(n)s users, %(logs)s signing logs per user.
# The profile row comes from public.handle_new_user() (the trigger on auth.users).
CREATE_STEPS: tuple[tuple[str, str], ...] = (
    ("auth users and profiles", f"""
        insert into auth.users (id, email, raw_app_meta_data)
        select {user_id_sql('i')}, 'load-' || i || '@{MARK_DOMAIN}', '{{"spine_harness": "{LOAD_MARK}"}}'
        from generate_series(1, %(n)s) i"""),
    ("MFA settings", f"""
        insert into public.user_mfa_settings (user_id, totp_enabled, enrolled_at)
        select {user_id_sql('i')}, true, now() from generate_series(1, %(n)s) i"""),
    # Stand-in ciphertexts of the sealed size (the MFA suite's reference seals real ones): the
    # load measures the database side of a verification, the row lock and the replay guard.
    ("TOTP enrolments", f"""
        insert into public.user_totp (user_id, secret_ciphertext, secret_nonce, key_version, confirmed_at)
        select {user_id_sql('i')},
               sha256(('ct-' || i)::bytea) || substring(sha256(('ct2-' || i)::bytea) from 1 for 4),
               substring(sha256(('nonce-' || i)::bytea) from 1 for 12), 1, now()
        from generate_series(1, %(n)s) i"""),
    ("certificates", f"""
        insert into gesign.certificates (id, user_id, serial_number, subject_dn, issuer_dn,
                                         fingerprint_sha256, not_before, not_after)
        select {certificate_id_sql('i')}, {user_id_sql('i')}, '{CERT_PREFIX}' || i,
               'CN=load user ' || i, 'CN=Spine Harness Load CA', sha256(('{CERT_PREFIX}' || i)::bytea),
               now() - interval '1 day', now() + interval '365 days'
        from generate_series(1, %(n)s) i"""),
    ("signing logs", f"""
        insert into gesign.signing_logs (user_id, certificate_id, document_hash, document_name,
                                         signature_algorithm, signed_at)
        select {user_id_sql('i')}, {certificate_id_sql('i')}, sha256((i || '-' || j)::bytea),
               'load-' || j || '.pdf', 'ECDSA-P256-SHA256', now() - j * interval '1 hour'
        from generate_series(1, %(n)s) i, generate_series(1, %(logs)s) j"""),
)

# Append-only logs and certificates restrict deletes, so they go first; deleting the auth users
# cascades to profiles, MFA settings and TOTP rows.
REMOVE_STEPS: tuple[tuple[str, str], ...] = (
    ("signing logs", f"delete from gesign.signing_logs where user_id in ({MARKED_USERS})"),
    ("certificates", f"delete from gesign.certificates where user_id in ({MARKED_USERS})"),
    ("auth users and what cascades from them", f"delete from auth.users where id in ({MARKED_USERS})"),
)

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class SeedResult:
    users: int
    removed_users: int
    rows: dict[str, int]
    seconds: float


def count(conn: psycopg.Connection) -> int:
    """How many load users exist: they are numbered 1..count."""
    return conn.execute(f"select count(*) from ({MARKED_USERS}) marked").fetchone()[0]


def _run_steps(cur: psycopg.Cursor, steps, params: dict | None, progress: Progress, verb: str) -> dict[str, int]:
    rows = {}
    for label, statement in steps:
        t0 = time.perf_counter()
        cur.execute(statement, params)
        rows[label] = cur.rowcount
        progress(f"  {verb} {cur.rowcount:>9,} {label} ({time.perf_counter() - t0:.1f}s)")
    return rows


def remove(conn: psycopg.Connection, progress: Progress = lambda _: None) -> int:
    """Delete every load row, in one transaction; returns how many load users there were."""
    with conn.transaction():
        cur = conn.cursor()
        existing = count(conn)
        if existing:
            _run_steps(cur, REMOVE_STEPS, None, progress, "removed")
    return existing


def create(conn: psycopg.Connection, users: int, logs_per_user: int,
           progress: Progress = lambda _: None) -> SeedResult:
    """Replace the load population with `users` fresh users, in one transaction: a failure
    leaves the database as it was."""
    if users < 1 or logs_per_user < 0:
        raise ValueError(f"need at least one user and no negative log count (got {users}, {logs_per_user})")
    t0 = time.perf_counter()
    with conn.transaction():
        cur = conn.cursor()
        # Seeding is bulk work: do not wait for the WAL flush of each statement's commit.
        cur.execute("set local synchronous_commit = off")
        removed = count(conn)
        if removed:
            progress(f"replacing the {removed:,} load users already there")
            _run_steps(cur, REMOVE_STEPS, None, progress, "removed")
        rows = _run_steps(cur, CREATE_STEPS, {"n": users, "logs": logs_per_user}, progress, "created")
    for table in ("auth.users", "public.users", "public.user_totp", "gesign.certificates", "gesign.signing_logs"):
        conn.execute(f"analyze {table}")
    return SeedResult(users, removed, rows, time.perf_counter() - t0)
