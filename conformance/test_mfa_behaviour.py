"""The MFA contract in use, by the implementation under test against the target's database:
enrolment, one use per code, one step of drift, lockout, single-use recovery codes (also
under 20 concurrent attempts through the pooler), and re-sealing under a rotated key.

Time is the suite's own clock (`mfa_clock`, read by the service), set to the instant each step
means: nothing sleeps, nothing depends on when the suite runs, and no assertion is about speed.
Wrong codes differ from the right one in every digit and match no code of the drift window, so
what is refused is refused whatever the secret drawn."""
from __future__ import annotations

import concurrent.futures
import threading
import urllib.parse

import pytest

from spine_harness.database.connections import connect
from spine_harness.mfa import totp
from spine_harness.mfa.strength import wrong_totp_code
from spine_harness.mfa.fixtures import SUITE_EPOCH
from spine_harness.mfa.rotation import rotate
from spine_harness.mfa.service import Verdict

pytestmark = pytest.mark.needs("database", "pooler")

T0 = SUITE_EPOCH                # the start of a 30 s step, far from any real clock
STEP = totp.STEP_SECONDS
CONCURRENT_ATTEMPTS = 20


@pytest.fixture(autouse=True)
def clock(mfa_clock):
    mfa_clock.set(T0)
    return mfa_clock


@pytest.fixture
def enrolled(marked_users, mfa_service):
    """A fresh enrolled user and the secret their authenticator app holds."""
    user = marked_users.new()
    enrolment = mfa_service.enrol(user, marked_users.email("mfa"))
    return user, totp.secret_from_uri(enrolment.provisioning_uri)


def test_enrolment_gives_a_gerege_uri_for_a_160_bit_secret(marked_users, mfa_service, admin_conn):
    user = marked_users.new()
    enrolment = mfa_service.enrol(user, "someone@example.invalid")
    uri = urllib.parse.urlparse(enrolment.provisioning_uri)
    query = urllib.parse.parse_qs(uri.query)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp"), f"not a TOTP URI: {uri.scheme}://{uri.netloc}"
    assert query.get("issuer") == ["Gerege"], f"issuer is {query.get('issuer')}, expected Gerege"
    bits = len(totp.secret_from_uri(enrolment.provisioning_uri)) * 8
    assert bits >= 160, f"the secret is {bits} bits, expected 160"
    assert query.get("digits", ["6"]) == ["6"] and query.get("period", ["30"]) == ["30"], (
        f"not 6 digits every 30 s: {query}")
    row = admin_conn.execute("select id from public.user_totp where user_id = %s", (user,)).fetchone()
    assert row == (enrolment.row_id,), f"user_totp row for the enrolment {enrolment.row_id}: {row}"


def test_a_code_is_accepted_once_and_the_next_steps_code_after_it(enrolled, mfa_service, clock):
    user, secret = enrolled
    code = totp.code_at(secret, T0)
    seen = [mfa_service.verify(user, code)]
    clock.advance(10)
    seen.append(mfa_service.verify(user, code))
    assert seen == [Verdict.ACCEPTED, Verdict.REPLAYED], f"one code sent twice in one step: {seen}"
    clock.set(T0 + STEP)
    following = mfa_service.verify(user, totp.code_at(secret, T0 + STEP))
    assert following is Verdict.ACCEPTED, f"the next step's code after an accepted one: {following}"


@pytest.mark.parametrize("drift, expected", [(-1, Verdict.ACCEPTED), (1, Verdict.ACCEPTED),
                                             (-2, Verdict.REFUSED), (2, Verdict.REFUSED)])
def test_one_step_of_drift_is_accepted_and_two_are_not(drift, expected, enrolled, mfa_service):
    user, secret = enrolled
    code = totp.code_at(secret, T0 + drift * STEP)
    seen = mfa_service.verify(user, code)
    assert seen is expected, f"a code {drift:+d} step(s) from now: {seen}, expected {expected}"


def test_failed_attempts_are_counted_and_lock_the_account(enrolled, mfa_service, admin_conn, clock):
    user, secret = enrolled
    limit = mfa_service.max_failed_attempts
    seen = [mfa_service.verify(user, wrong_totp_code(secret, clock.advance(1))) for _ in range(limit)]
    assert seen == [Verdict.REFUSED] * limit, f"{limit} wrong codes: {seen}"
    count = admin_conn.execute("select failed_attempts from public.user_mfa_settings where user_id = %s",
                               (user,)).fetchone()
    assert count == (limit,), f"failed_attempts after {limit} failures: {count}"
    locked = mfa_service.verify(user, totp.code_at(secret, clock.advance(1)))
    assert locked is Verdict.LOCKED, f"the right code after {limit} failures: {locked}, expected locked"
    later = clock.advance(mfa_service.lockout.total_seconds() + STEP)
    assert mfa_service.verify(user, totp.code_at(secret, later)) is Verdict.ACCEPTED, \
        "the right code after the lockout ended was not accepted"


def _at_once(dsn: str, attempt, n: int = CONCURRENT_ATTEMPTS) -> list:
    """`attempt(conn)` on n connections of their own, released together by a barrier."""
    barrier = threading.Barrier(n, timeout=10)

    def one(_):
        with connect(dsn, autocommit=True) as conn:
            barrier.wait()
            return attempt(conn)

    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n), timeout=60))


def test_concurrent_attempts_with_one_code_give_one_success(enrolled, spine, mfa_implementation, mfa_sealer, clock):
    user, secret = enrolled
    code = totp.code_at(secret, T0)
    seen = _at_once(spine.api_dsn,
                    lambda conn: mfa_implementation.service(conn, mfa_sealer, clock=clock).verify(user, code))
    accepted = seen.count(Verdict.ACCEPTED)
    assert accepted == 1, f"{CONCURRENT_ATTEMPTS} concurrent uses of one code: {accepted} accepted ({seen})"


@pytest.fixture
def recovery_codes(marked_users, mfa_service):
    user = marked_users.new()
    return user, mfa_service.regenerate_recovery_codes(user)


def test_a_recovery_code_works_once(recovery_codes, mfa_service):
    user, codes = recovery_codes
    typed = codes[0].lower().replace("-", " ")
    seen = [mfa_service.use_recovery_code(user, codes[0]), mfa_service.use_recovery_code(user, typed)]
    assert seen == [Verdict.ACCEPTED, Verdict.REFUSED], f"one recovery code used twice: {seen}"
    second = mfa_service.use_recovery_code(user, codes[1])
    assert second is Verdict.ACCEPTED, f"another code of the set after the first was used: {second}"


def test_regenerating_recovery_codes_retires_the_old_set(recovery_codes, mfa_service):
    user, old = recovery_codes
    new = mfa_service.regenerate_recovery_codes(user)
    assert not set(old) & set(new), "the new set repeats codes of the old one"
    seen = [mfa_service.use_recovery_code(user, code) for code in old[:3]]
    assert seen == [Verdict.REFUSED] * 3, f"codes of the retired set: {seen}"
    fresh = mfa_service.use_recovery_code(user, new[0])
    assert fresh is Verdict.ACCEPTED, f"a code of the new set: {fresh}"


def test_concurrent_uses_of_one_recovery_code_give_one_success(recovery_codes, spine, mfa_implementation, mfa_sealer,
                                                               clock):
    user, codes = recovery_codes
    seen = _at_once(spine.api_dsn,
                    lambda conn: mfa_implementation.service(conn, mfa_sealer, clock=clock).use_recovery_code(user, codes[0]))
    accepted = seen.count(Verdict.ACCEPTED)
    assert accepted == 1, f"{CONCURRENT_ATTEMPTS} concurrent uses of one recovery code: {accepted} accepted ({seen})"


def test_rows_under_an_old_key_are_resealed_on_use_and_by_rotation(marked_users, mfa_implementation, mfa_keys,
                                                                    api_conn, clock):
    """Only the suite's own rows are rotated: on a deployment the new key would be a stranger's."""
    def service(keyring):
        return mfa_implementation.service(api_conn, mfa_implementation.sealer(keyring), clock=clock)

    old_keyring = mfa_keys.keyring
    rotated_keyring = old_keyring.with_key(max(old_keyring.versions) + 1)
    used, idle = marked_users.new(), marked_users.new()
    secrets_by_user = {u: totp.secret_from_uri(service(old_keyring).enrol(u, "rotation").provisioning_uri)
                       for u in (used, idle)}

    seen = service(rotated_keyring).verify(used, totp.code_at(secrets_by_user[used], T0))
    assert seen is Verdict.ACCEPTED, f"a row sealed under the old key, verified with the rotated keyring: {seen}"
    report = rotate(api_conn, mfa_implementation.sealer(rotated_keyring), only_users=[used, idle])
    assert dict(report.resealed_from) == {old_keyring.current: 1} and not report.unopenable, (
        f"rotation after one of two rows was re-sealed on use: {report.summary()}")
    clock.set(T0 + STEP)
    for user, secret in secrets_by_user.items():
        seen = service(rotated_keyring.current_only()).verify(user, totp.code_at(secret, T0 + STEP))
        assert seen is Verdict.ACCEPTED, f"{'used' if user == used else 'idle'} user, with the new key alone: {seen}"
