"""The backend's MFA operations on the Spine's tables, as the services run them: each one a
transaction as service_role through the pooler (the API roles cannot read user_totp or
mfa_recovery_codes at all).

Single use is enforced by the database, not by a read followed by a write: a code is accepted
only by an UPDATE whose WHERE clause still holds after any concurrent winner has committed
(Postgres re-reads a row it had to wait for), so of many simultaneous uses exactly one wins.
"""
from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import datetime, timedelta, timezone

import psycopg

from spine_harness.database.impersonation import claims_for, request
from spine_harness.mfa import recovery, totp
from spine_harness.mfa.clock import Clock, wall_clock
from spine_harness.mfa.sealing import Sealed, Sealer, totp_associated_data

SERVICE_CLAIMS = claims_for("service_role")


class Verdict(str, enum.Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"            # the code matches nothing
    REPLAYED = "replayed"          # the code is right but its time step was already used
    LOCKED = "locked"              # too many failures: the code was not even looked at
    NOT_ENROLLED = "not enrolled"


@dataclasses.dataclass(frozen=True)
class Enrolment:
    row_id: uuid.UUID
    provisioning_uri: str          # holds the secret: show it once, never store or log it


def store_sealed(cur: psycopg.Cursor, row_id: uuid.UUID, sealed: Sealed) -> None:
    """Replace a row's sealed secret (re-sealed under the current key)."""
    cur.execute("update public.user_totp set secret_ciphertext = %s, secret_nonce = %s, key_version = %s,"
                " updated_at = now() where id = %s", (sealed.ciphertext, sealed.nonce, sealed.key_version, row_id))


class MfaService:
    """Enrolment, verification and recovery codes for one connection (authenticator through
    the pooler). A call's `at` (Unix seconds) defaults to what `clock` says: the wall clock in
    service, a ManualClock in the suites, which move it instead of sleeping.

    What the conformance suites read and judge of any implementation: `max_failed_attempts`,
    `lockout`, `drift_steps`, and that every time it uses comes from `at` or `clock`."""

    drift_steps = 1
    # Consecutive failures (wrong, replayed or recovery codes) before a lockout; NIST allows at
    # most 100. Each failure past the limit locks again until a success resets the count.
    max_failed_attempts = 5
    lockout = timedelta(minutes=15)

    def __init__(self, conn: psycopg.Connection, sealer: Sealer, clock: Clock = wall_clock) -> None:
        self.conn = conn
        self.sealer = sealer
        self.clock = clock

    def _when(self, at: float | None) -> datetime:
        return datetime.fromtimestamp(self.clock() if at is None else at, timezone.utc)

    def _transaction(self):
        return request(self.conn, SERVICE_CLAIMS, commit=True, method="POST", path="/mfa")

    # --- TOTP ----------------------------------------------------------------------------------
    def new_secret(self) -> bytes:
        return totp.new_secret()

    def enrol(self, user_id: uuid.UUID, account_name: str) -> Enrolment:
        """A fresh secret sealed to a new row, replacing any earlier one; MFA is on once a code verifies."""
        secret = self.new_secret()
        row_id = uuid.uuid4()
        sealed = self.sealer.seal(secret, totp_associated_data(user_id, row_id))
        with self._transaction() as cur:
            cur.execute("delete from public.user_totp where user_id = %s", (user_id,))
            cur.execute("insert into public.user_totp (id, user_id, secret_ciphertext, secret_nonce, key_version)"
                        " values (%s, %s, %s, %s, %s)",
                        (row_id, user_id, sealed.ciphertext, sealed.nonce, sealed.key_version))
            cur.execute("insert into public.user_mfa_settings (user_id) values (%s) on conflict (user_id)"
                        " do update set totp_enabled = false, updated_at = now()", (user_id,))
        return Enrolment(row_id, totp.provisioning_uri(secret, account_name))

    def verify(self, user_id: uuid.UUID, code: str, at: float | None = None) -> Verdict:
        when = self._when(at)
        with self._transaction() as cur:
            if self._locked(cur, user_id, when):
                return Verdict.LOCKED
            cur.execute("select id, secret_ciphertext, secret_nonce, key_version from public.user_totp"
                        " where user_id = %s", (user_id,))
            row = cur.fetchone()
            if row is None:
                return Verdict.NOT_ENROLLED
            row_id, ciphertext, nonce, version = row
            associated_data = totp_associated_data(user_id, row_id)
            sealed = Sealed(ciphertext, nonce, version)
            secret = self.sealer.open(sealed, associated_data)
            step = self.matching_step(secret, code, when)
            if step is None:
                self._count_failure(cur, user_id, when)
                return Verdict.REFUSED
            if not self._accept_step(cur, row_id, step, when):
                self._count_failure(cur, user_id, when)
                return Verdict.REPLAYED
            if self.sealer.needs_reseal(sealed):
                store_sealed(cur, row_id, self.sealer.seal(secret, associated_data))
            cur.execute("update public.user_mfa_settings set failed_attempts = 0, locked_until = null,"
                        " totp_enabled = true, enrolled_at = coalesce(enrolled_at, %s), updated_at = now()"
                        " where user_id = %s", (when, user_id))
            return Verdict.ACCEPTED

    def matching_step(self, secret: bytes, code: str, when: datetime) -> int | None:
        """The time step within the drift window whose code `code` is, compared in full."""
        return totp.matching_step(secret, code, when.timestamp(), self.drift_steps)

    def _accept_step(self, cur: psycopg.Cursor, row_id: uuid.UUID, step: int, when: datetime) -> bool:
        """The replay guard (RFC 6238 5.2): take the step only if no later or equal one was taken."""
        cur.execute("update public.user_totp set last_accepted_step = %(step)s,"
                    " confirmed_at = coalesce(confirmed_at, %(when)s), updated_at = now()"
                    " where id = %(id)s and (last_accepted_step is null or last_accepted_step < %(step)s)",
                    {"step": step, "when": when, "id": row_id})
        return cur.rowcount == 1

    # --- failures ------------------------------------------------------------------------------
    @staticmethod
    def _locked(cur: psycopg.Cursor, user_id: uuid.UUID, when: datetime) -> bool:
        cur.execute("select locked_until from public.user_mfa_settings where user_id = %s", (user_id,))
        row = cur.fetchone()
        return row is not None and row[0] is not None and row[0] > when

    def _count_failure(self, cur: psycopg.Cursor, user_id: uuid.UUID, when: datetime) -> None:
        cur.execute("update public.user_mfa_settings set failed_attempts = failed_attempts + 1,"
                    " locked_until = case when failed_attempts + 1 >= %(limit)s then %(until)s else locked_until end,"
                    " updated_at = now() where user_id = %(user)s",
                    {"limit": self.max_failed_attempts, "until": when + self.lockout, "user": user_id})

    # --- recovery codes ------------------------------------------------------------------------
    def new_recovery_codes(self) -> list[str]:
        return recovery.new_set()

    @staticmethod
    def recovery_code_digest(code: str) -> bytes:
        """What is stored for a code, and what a typed code is compared by."""
        return recovery.code_hash(code)

    def regenerate_recovery_codes(self, user_id: uuid.UUID, at: float | None = None) -> list[str]:
        """A new set, returned once (only digests are stored); the old set goes in the same transaction."""
        codes = self.new_recovery_codes()
        batch = uuid.uuid4()
        with self._transaction() as cur:
            self._retire_recovery_codes(cur, user_id)
            cur.executemany("insert into public.mfa_recovery_codes (user_id, batch_id, code_hash) values (%s, %s, %s)",
                            [(user_id, batch, self.recovery_code_digest(code)) for code in codes])
            cur.execute("insert into public.user_mfa_settings (user_id, recovery_codes_generated_at) values (%s, %s)"
                        " on conflict (user_id) do update"
                        " set recovery_codes_generated_at = excluded.recovery_codes_generated_at, updated_at = now()",
                        (user_id, self._when(at)))
        return codes

    @staticmethod
    def _retire_recovery_codes(cur: psycopg.Cursor, user_id: uuid.UUID) -> None:
        cur.execute("delete from public.mfa_recovery_codes where user_id = %s", (user_id,))

    def use_recovery_code(self, user_id: uuid.UUID, code: str, at: float | None = None) -> Verdict:
        when = self._when(at)
        with self._transaction() as cur:
            if self._locked(cur, user_id, when):
                return Verdict.LOCKED
            cur.execute("select code_hash, id from public.mfa_recovery_codes where user_id = %s and used_at is null",
                        (user_id,))
            unused = dict(cur.fetchall())
            matched = recovery.matching_digest(self.recovery_code_digest(code), list(unused))
            if matched is None or not self._claim_recovery_code(cur, unused[matched], when):
                self._count_failure(cur, user_id, when)
                return Verdict.REFUSED
            cur.execute("update public.user_mfa_settings set failed_attempts = 0, locked_until = null,"
                        " updated_at = now() where user_id = %s", (user_id,))
            return Verdict.ACCEPTED

    @staticmethod
    def _claim_recovery_code(cur: psycopg.Cursor, code_id: uuid.UUID, when: datetime) -> bool:
        """Single use: of concurrent claims only the first still finds used_at null."""
        cur.execute("update public.mfa_recovery_codes set used_at = %s where id = %s and used_at is null",
                    (when, code_id))
        return cur.rowcount == 1
