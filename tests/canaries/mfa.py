"""Canaries for the MFA suites. Broken databases (a secret in clear, a reused nonce, an
unhashed recovery code, a sealed secret moved to another user, user_totp readable through the
API) are scratch copies changed with SQL; broken implementations (a verifier that skips the
step check, a sealer with a derived nonce...) are handed to the unchanged suites through
SPINE_MFA_IMPLEMENTATION, which names one of the Implementation objects below."""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.canaries import Canary, CanaryEnv, register, sql_canary
from spine_harness.database.connections import connect
from spine_harness.mfa import recovery, totp
from spine_harness.mfa.implementation import Implementation
from spine_harness.mfa.keys import KEY_BYTES, Keyring
from spine_harness.mfa.sealing import NONCE_BYTES, TAG_BYTES, Sealed, Sealer
from spine_harness.mfa.service import MfaService
from spine_harness.targets.model import Target

CRYPTO = "test_mfa_crypto.py"
AT_REST = "test_mfa_at_rest.py"
BEHAVIOUR = "test_mfa_behaviour.py"
STRENGTH = "test_mfa_strength.py"
RLS = "test_mfa_rls.py"


def _users_sql(*ids: str) -> str:
    """Auth users for a canary's rows (their profiles come from the trigger)."""
    return "".join(f"insert into auth.users (id, email) values ('{i}', 'canary-{i}@spine-harness.invalid');"
                   for i in ids)


# --- broken databases ----------------------------------------------------------------------------
_U1, _U2 = "00000000-0000-4000-8000-00000000c001", "00000000-0000-4000-8000-00000000c002"

sql_canary(
    "plaintext_totp_secret_row", "a user_totp row holding its base32 secret in clear (the length CHECK dropped)",
    "alter table public.user_totp drop constraint user_totp_ciphertext_is_sealed_160_bit;" + _users_sql(_U1) +
    "insert into public.user_totp (user_id, secret_ciphertext, secret_nonce, key_version) values"
    f" ('{_U1}', convert_to('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'UTF8'), decode(repeat('07', 12), 'hex'), 1)",
    (AT_REST,),
    (f"{AT_REST}::test_no_column_holds_a_totp_secret_or_recovery_code",
     f"{AT_REST}::test_sealed_rows_have_a_12_byte_nonce_and_a_sealed_160_bit_ciphertext",
     f"{AT_REST}::test_schema_refuses_malformed_rows[ciphertext-unsealed]"))

sql_canary(
    "totp_nonce_reused", "two user_totp rows sealed under one key with the same nonce (the UNIQUE dropped)",
    "alter table public.user_totp drop constraint user_totp_nonce_unique_per_key;" + _users_sql(_U1, _U2) +
    "insert into public.user_totp (user_id, secret_ciphertext, secret_nonce, key_version) values"
    f" ('{_U1}', decode(repeat('ab', 36), 'hex'), decode(repeat('01', 12), 'hex'), 1),"
    f" ('{_U2}', decode(repeat('cd', 36), 'hex'), decode(repeat('01', 12), 'hex'), 1)",
    (AT_REST,),
    (f"{AT_REST}::test_no_nonce_is_reused_under_one_key",
     f"{AT_REST}::test_schema_refuses_malformed_rows[nonce-reused]"))

sql_canary(
    "recovery_code_unhashed", "a recovery code stored as typed instead of its SHA-256 (the length CHECK dropped)",
    "alter table public.mfa_recovery_codes drop constraint mfa_recovery_codes_hash_is_sha256;" + _users_sql(_U1) +
    "insert into public.mfa_recovery_codes (user_id, batch_id, code_hash) values"
    f" ('{_U1}', gen_random_uuid(), convert_to('K7QF-2MXA-P4ZD-W3NB-R6TY-H5JC', 'UTF8'))",
    (AT_REST,),
    (f"{AT_REST}::test_no_column_holds_a_totp_secret_or_recovery_code",
     f"{AT_REST}::test_recovery_code_hashes_are_32_bytes",
     f"{AT_REST}::test_schema_refuses_malformed_rows[recovery-code-unhashed]"))

sql_canary(
    "totp_readable_by_every_user", "user_totp granted to authenticated with a `using (true)` SELECT policy",
    "grant select on public.user_totp to authenticated;"
    " create policy canary_totp_everyone on public.user_totp for select to authenticated using (true)",
    (RLS,),
    (f"{RLS}::test_sealed_columns_as_api_role[public.user_totp-owner]",
     f"{RLS}::test_sealed_columns_as_api_role[public.user_totp-other]"))


@contextlib.contextmanager
def _secret_moved_to_another_user(env: CanaryEnv) -> Iterator[Target]:
    """Two users enrolled under a keyring the inner run is given as the deployment's; then the
    first user's sealed secret is moved onto the second user's row, as an attacker with write
    access to the table would do to take over the second account's authenticator."""
    keyring = Keyring.generate()
    first, second = uuid.uuid4(), uuid.uuid4()
    env.settings_overrides.update(keyring.as_settings())
    with env.local.scratch("canary_totp_secret_moved", label="canary:totp_secret_moved") as target:
        with connect(target.direct_dsn, autocommit=True) as admin:
            admin.execute(_users_sql(str(first), str(second)))
        with connect(target.api_dsn, autocommit=True) as conn:
            service = MfaService(conn, Sealer(keyring))
            for user in (first, second):
                service.enrol(user, f"{user}@spine-harness.invalid")
        with connect(target.direct_dsn, autocommit=True) as admin, admin.transaction():
            moved = admin.execute("delete from public.user_totp where user_id = %s"
                                  " returning secret_ciphertext, secret_nonce", (first,)).fetchone()
            admin.execute("update public.user_totp set secret_ciphertext = %s, secret_nonce = %s where user_id = %s",
                          (*moved, second))
        yield target


register(Canary(
    "totp_secret_moved", "one user's sealed TOTP secret moved onto another user's row",
    (AT_REST,), (f"{AT_REST}::test_every_sealed_secret_opens_for_its_own_row_only",),
    _secret_moved_to_another_user))


# --- broken implementations ----------------------------------------------------------------------
def implementation_canary(name: str, breaks: str, attribute: str, suites: tuple[str, ...],
                          must_fail: tuple[str, ...]) -> Canary:
    """The suites run unchanged on a scratch database, with `attribute` of this module (an
    Implementation) as the implementation under test."""
    if not isinstance(globals().get(attribute), Implementation):
        raise ValueError(f"canary {name}: {__name__}.{attribute} is not an Implementation")

    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        env.settings_overrides["mfa_implementation"] = f"{__name__}:{attribute}"
        with env.local.scratch(f"canary_{name}", label=f"canary:{name}") as target:
            yield target
    return register(Canary(name, breaks, suites, must_fail, broken))


class ReplayingService(MfaService):
    def _accept_step(self, cur, row_id, step, when):
        cur.execute("update public.user_totp set last_accepted_step = %s where id = %s", (step, row_id))
        return cur.rowcount == 1


class WideDriftService(MfaService):
    drift_steps = 2


class UncountedFailuresService(MfaService):
    def _count_failure(self, cur, user_id, when):
        pass


class ReusableRecoveryCodeService(MfaService):
    def _claim_recovery_code(self, cur, code_id, when):
        return True


class KeepsOldRecoveryCodesService(MfaService):
    def _retire_recovery_codes(self, cur, user_id):
        pass


class ShortSecretService(MfaService):
    def new_secret(self):
        return os.urandom(10)


class PlaintextSealer(Sealer):
    """Stores the secret itself, padded with a zero 'tag' to the sealed length."""

    def seal(self, secret, associated_data):
        return Sealed(secret + bytes(TAG_BYTES), os.urandom(NONCE_BYTES), self.keyring.current)

    def open(self, sealed, associated_data):
        return sealed.ciphertext[:-TAG_BYTES]


class DerivedNonceSealer(Sealer):
    """Derives the nonce from the row, so re-sealing one row repeats it."""

    def seal(self, secret, associated_data):
        nonce = hashlib.sha256(associated_data).digest()[:NONCE_BYTES]
        key = self.keyring.key(self.keyring.current)
        return Sealed(AESGCM(key).encrypt(nonce, secret, associated_data), nonce, self.keyring.current)


class UnboundSealer(Sealer):
    """Leaves the associated data out, so a sealed secret opens on any row."""

    def seal(self, secret, associated_data):
        return super().seal(secret, b"")

    def open(self, sealed, associated_data):
        return super().open(sealed, b"")


class HardCodedKeySealer(Sealer):
    """Ignores the keyring: a development key left in."""

    def __init__(self, keyring):
        super().__init__(Keyring({v: bytes(KEY_BYTES) for v in keyring.versions}, keyring.current))


class CurrentKeyOnlySealer(Sealer):
    """Opens every row with the current key, whatever version the row names."""

    def open(self, sealed, associated_data):
        return super().open(Sealed(sealed.ciphertext, sealed.nonce, self.keyring.current), associated_data)


REPLAY_ALLOWED = Implementation("verifier skipping the step check", service=ReplayingService)
WIDE_DRIFT = Implementation("two steps of drift", service=WideDriftService)
FAILURES_UNCOUNTED = Implementation("failures not counted", service=UncountedFailuresService)
RECOVERY_REUSABLE = Implementation("recovery codes never marked used", service=ReusableRecoveryCodeService)
OLD_RECOVERY_KEPT = Implementation("regeneration keeps the old set", service=KeepsOldRecoveryCodesService)
SHORT_SECRET = Implementation("80-bit TOTP secrets", service=ShortSecretService)
PLAINTEXT_SEALER = Implementation("sealer storing the secret in clear", sealer=PlaintextSealer)
DERIVED_NONCE = Implementation("nonce derived from the row", sealer=DerivedNonceSealer)
UNBOUND = Implementation("associated data not bound", sealer=UnboundSealer)
HARD_CODED_KEY = Implementation("hard-coded key", sealer=HardCodedKeySealer)
CURRENT_KEY_ONLY = Implementation("opens with the current key only", sealer=CurrentKeyOnlySealer)

implementation_canary(
    "totp_replay_allowed", "a verifier that skips the step check (replay allowed)", "REPLAY_ALLOWED", (BEHAVIOUR,),
    (f"{BEHAVIOUR}::test_a_code_is_accepted_once_and_the_next_steps_code_after_it",
     f"{BEHAVIOUR}::test_concurrent_attempts_with_one_code_give_one_success"))
implementation_canary(
    "totp_drift_two_steps", "a verifier accepting two steps of drift", "WIDE_DRIFT", (BEHAVIOUR,),
    (f"{BEHAVIOUR}::test_one_step_of_drift_is_accepted_and_two_are_not[-2-refused]",
     f"{BEHAVIOUR}::test_one_step_of_drift_is_accepted_and_two_are_not[2-refused]"))
implementation_canary(
    "totp_failures_uncounted", "a verifier that never counts failures", "FAILURES_UNCOUNTED", (BEHAVIOUR,),
    (f"{BEHAVIOUR}::test_failed_attempts_are_counted_and_lock_the_account",))
implementation_canary(
    "recovery_code_reusable", "recovery codes never marked used", "RECOVERY_REUSABLE", (BEHAVIOUR,),
    (f"{BEHAVIOUR}::test_a_recovery_code_works_once",
     f"{BEHAVIOUR}::test_concurrent_uses_of_one_recovery_code_give_one_success"))
implementation_canary(
    "recovery_old_set_kept", "regenerating recovery codes leaves the old set usable", "OLD_RECOVERY_KEPT",
    (BEHAVIOUR,), (f"{BEHAVIOUR}::test_regenerating_recovery_codes_retires_the_old_set",))
implementation_canary(
    "totp_secret_80_bit", "enrolment with an 80-bit TOTP secret", "SHORT_SECRET", (BEHAVIOUR, STRENGTH),
    (f"{BEHAVIOUR}::test_enrolment_gives_a_gerege_uri_for_a_160_bit_secret",
     f"{STRENGTH}::test_totp_secrets_carry_at_least_128_bits"))
implementation_canary(
    "sealer_plaintext", "a sealer that stores the secret in clear", "PLAINTEXT_SEALER", (CRYPTO,),
    (f"{CRYPTO}::test_seal_opens_to_the_secret_and_hides_it",
     f"{CRYPTO}::test_any_changed_byte_fails_with_invalid_tag[ciphertext]"))
implementation_canary(
    "sealer_nonce_derived", "a sealer deriving the nonce from the row", "DERIVED_NONCE", (CRYPTO,),
    (f"{CRYPTO}::test_nonces_are_unique_across_seals",))
implementation_canary(
    "sealer_associated_data_unbound", "a sealer that binds no associated data", "UNBOUND", (CRYPTO, AT_REST),
    (f"{CRYPTO}::test_any_changed_byte_fails_with_invalid_tag[associated_data]",
     f"{AT_REST}::test_every_sealed_secret_opens_for_its_own_row_only"))
implementation_canary(
    "sealer_hard_coded_key", "a sealer with a hard-coded key", "HARD_CODED_KEY", (CRYPTO,),
    (f"{CRYPTO}::test_a_wrong_key_fails",))
implementation_canary(
    "sealer_current_key_only", "a sealer that opens every row with the current key", "CURRENT_KEY_ONLY",
    (CRYPTO, BEHAVIOUR),
    (f"{CRYPTO}::test_rotated_keyring_opens_old_rows_and_reseals_them",
     f"{BEHAVIOUR}::test_rows_under_an_old_key_are_resealed_on_use_and_by_rotation"))


# --- strength: what a sample of the implementation's output and its exercised policy show ------
class PaddedSecretService(MfaService):
    """80 random bits padded with zeros to the 160 a length check expects."""

    def new_secret(self):
        return os.urandom(10) + bytes(10)


class ClockSeededSecretService(MfaService):
    """srand(time(NULL)): Python's random seeded with the current second."""

    def new_secret(self):
        return random.Random(int(time.time())).randbytes(totp.SECRET_BYTES)


class ShortRecoveryCodeService(MfaService):
    """Recovery codes of 64 bits (still stored as a plain SHA-256)."""

    def new_recovery_codes(self):
        return [base64.b32encode(os.urandom(8)).decode().rstrip("=") for _ in range(recovery.CODES_PER_SET)]


class HalfRecoveryCodeService(MfaService):
    """Hashes only the first half of a code: the rest can be anything."""

    @staticmethod
    def recovery_code_digest(code):
        return recovery.code_hash(recovery.normalise(code)[:12])


class FiveDigitService(MfaService):
    """Compares only the first five digits of a TOTP code."""

    def matching_step(self, secret, code, when):
        at, now = when.timestamp(), totp.time_step(when.timestamp())
        for offset in range(-self.drift_steps, self.drift_steps + 1):
            if code and totp.code_at(secret, at + offset * totp.STEP_SECONDS)[:5] == code[:5]:
                return now + offset
        return None


class LateLockoutService(MfaService):
    max_failed_attempts = 1000


def _count_failure_sql(cur, user_id, *, lock_at: int, until) -> None:
    cur.execute("update public.user_mfa_settings set failed_attempts = failed_attempts + 1,"
                " locked_until = case when failed_attempts + 1 >= %(limit)s then %(until)s else locked_until end"
                " where user_id = %(user)s", {"limit": lock_at, "until": until, "user": user_id})


class EarlyLockoutService(MfaService):
    """Locks on the failure before the configured count (an off-by-one)."""

    def _count_failure(self, cur, user_id, when):
        _count_failure_sql(cur, user_id, lock_at=self.max_failed_attempts - 1, until=when + self.lockout)


class OneSecondLockoutService(MfaService):
    """Declares fifteen minutes, locks for one second (a unit slip)."""

    def _count_failure(self, cur, user_id, when):
        _count_failure_sql(cur, user_id, lock_at=self.max_failed_attempts, until=when + timedelta(seconds=1))


class NoLockoutService(MfaService):
    lockout = timedelta(0)


class ShortKeySealer(Sealer):
    """AES-128: the keyring's keys cut to 16 bytes."""

    def __init__(self, keyring):
        super().__init__(dataclasses.replace(keyring, keys={v: keyring.key(v)[:16] for v in keyring.versions}))


PADDED_SECRET = Implementation("80 random bits padded to 160", service=PaddedSecretService)
CLOCK_SEEDED_SECRET = Implementation("secrets from random seeded with the second", service=ClockSeededSecretService)
SHORT_RECOVERY_CODE = Implementation("64-bit recovery codes", service=ShortRecoveryCodeService)
HALF_RECOVERY_CODE = Implementation("recovery codes compared on their first half", service=HalfRecoveryCodeService)
FIVE_DIGITS = Implementation("TOTP compared on five digits", service=FiveDigitService)
LATE_LOCKOUT = Implementation("lockout after 1000 failures", service=LateLockoutService)
EARLY_LOCKOUT = Implementation("lockout one failure early", service=EarlyLockoutService)
ONE_SECOND_LOCKOUT = Implementation("lockout lifting after one second", service=OneSecondLockoutService)
NO_LOCKOUT = Implementation("a lockout of zero seconds", service=NoLockoutService)
SHORT_KEY = Implementation("a 16-byte AES key", sealer=ShortKeySealer)

implementation_canary(
    "totp_secret_padded", "80 random bits padded with zero bytes to a 160-bit TOTP secret", "PADDED_SECRET",
    (STRENGTH,), (f"{STRENGTH}::test_totp_secrets_carry_at_least_128_bits",))
implementation_canary(
    "totp_secret_clock_seeded", "TOTP secrets from Python's random seeded with the current second",
    "CLOCK_SEEDED_SECRET", (STRENGTH,), (f"{STRENGTH}::test_totp_secrets_carry_at_least_128_bits",))
implementation_canary(
    "recovery_code_64_bit", "64-bit recovery codes stored as a plain SHA-256", "SHORT_RECOVERY_CODE",
    (STRENGTH,), (f"{STRENGTH}::test_recovery_codes_carry_at_least_112_bits",))
implementation_canary(
    "recovery_code_half_compared", "recovery codes hashed (and so compared) on their first half only",
    "HALF_RECOVERY_CODE", (STRENGTH,), (f"{STRENGTH}::test_a_recovery_code_differing_anywhere_is_refused",))
implementation_canary(
    "totp_five_digits_compared", "TOTP codes compared on their first five digits", "FIVE_DIGITS",
    (STRENGTH,), (f"{STRENGTH}::test_a_totp_code_differing_anywhere_is_refused",))
implementation_canary(
    "lockout_after_1000", "the account locks only after 1000 failures", "LATE_LOCKOUT", (STRENGTH,),
    (f"{STRENGTH}::test_lockout_policy_is_within_nist_bounds",
     f"{STRENGTH}::test_lockout_comes_at_exactly_the_configured_count"))
implementation_canary(
    "lockout_one_early", "the account locks one failure before the configured count", "EARLY_LOCKOUT",
    (STRENGTH,), (f"{STRENGTH}::test_lockout_comes_at_exactly_the_configured_count",))
implementation_canary(
    "lockout_lifts_after_1s", "the lockout declared as 15 minutes lifts after one second", "ONE_SECOND_LOCKOUT",
    (STRENGTH,), (f"{STRENGTH}::test_lockout_lifts_after_the_configured_duration_and_not_before",))
implementation_canary(
    "lockout_zero_seconds", "a lockout of zero seconds", "NO_LOCKOUT", (STRENGTH,),
    (f"{STRENGTH}::test_lockout_policy_is_within_nist_bounds",))
implementation_canary(
    "sealer_16_byte_key", "a sealer using AES-128 with the keyring's keys cut to 16 bytes", "SHORT_KEY",
    (STRENGTH,), (f"{STRENGTH}::test_sealing_keys_are_256_bit",
                  f"{STRENGTH}::test_sealed_secret_is_aes_256_gcm_under_the_keyring_key"))
