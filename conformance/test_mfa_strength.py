"""How strong the implementation under test is, measured rather than read from its constants: the
key it really seals with, the entropy of the secrets and codes it really generates (from a
sample of its own output), the comparison of codes that differ from the right one anywhere, and
the lockout exercised on the suite's clock, at exactly the count and for exactly the time the
implementation declares, which must be within NIST's bounds.

The clock is the suite's (`mfa_clock`): a lockout of fifteen minutes is proven without waiting
for it, and nothing depends on when the suite runs."""
from __future__ import annotations

import uuid

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spine_harness.mfa import strength, totp
from spine_harness.mfa.fixtures import SUITE_EPOCH
from spine_harness.mfa.sealing import totp_associated_data
from spine_harness.mfa.service import Verdict

pytestmark = pytest.mark.needs("database", "pooler")

T0 = SUITE_EPOCH
STEP = totp.STEP_SECONDS
AES_256_KEY_BYTES = 32
TOTP_MIN_BITS = 128                # RFC 4226 4: at least 128 bits; 160 recommended
TOTP_RECOMMENDED_BITS = 160
RECOVERY_MIN_BITS = 112            # SP 800-63B 5.1.2: stored as plain SHA-256, so at least 112 bits each
NIST_MAX_FAILED_ATTEMPTS = 100     # SP 800-63B 5.2.2
SECRET_SAMPLE = (4, 16)            # fresh services x enrolments each: a generator seeded per service repeats
RECOVERY_SAMPLE_SETS = 20


@pytest.fixture(autouse=True)
def clock(mfa_clock):
    mfa_clock.set(T0)
    return mfa_clock


@pytest.fixture
def enrolled(marked_users, mfa_service):
    user = marked_users.new("strength")
    return user, totp.secret_from_uri(mfa_service.enrol(user, marked_users.email("strength")).provisioning_uri)


def _figures(kind: str, sample: list, estimate: float, lengths: set[int]) -> str:
    return (f"{len(sample)} {kind} from the implementation: lengths {sorted(lengths)}, "
            f"about {estimate:.0f} bits estimated from what varies")


# --- keys --------------------------------------------------------------------------------------

def test_sealing_keys_are_256_bit(mfa_keys, mfa_sealer):
    """The keyring handed to the implementation and the one its sealer actually holds."""
    rings = {"the suite's keyring": mfa_keys.keyring}
    if getattr(mfa_sealer, "keyring", None) is not None:
        rings["the sealer's keyring"] = mfa_sealer.keyring
    short = [f"{where}, version {v}: {len(ring.key(v)) * 8} bits"
             for where, ring in rings.items() for v in ring.versions if len(ring.key(v)) < AES_256_KEY_BYTES]
    assert not short, f"keys shorter than AES-256's {AES_256_KEY_BYTES * 8} bits: " + "; ".join(short)


def test_sealed_secret_is_aes_256_gcm_under_the_keyring_key(mfa_keys, mfa_sealer):
    """Opened here with cryptography's AESGCM and the 256-bit key of the version the row names:
    a sealer that truncates, derives or replaces the key does not open."""
    ad = totp_associated_data(uuid.uuid4(), uuid.uuid4())
    secret = totp.new_secret()
    sealed = mfa_sealer.seal(secret, ad)
    key = mfa_keys.keyring.key(sealed.key_version)
    try:
        opened = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, ad)
    except InvalidTag:
        pass
    else:
        assert opened == secret, "opened under the keyring's key, but not to the sealed secret"
        return
    for size in (16, 24):
        try:
            AESGCM(key[:size]).decrypt(sealed.nonce, sealed.ciphertext, ad)
        except InvalidTag:
            continue
        pytest.fail(f"sealed with AES-{size * 8}-GCM under the first {size} bytes of key version "
                    f"{sealed.key_version}, not AES-256 under all {len(key)}")
    pytest.fail(f"the sealed secret does not open with AES-256-GCM under key version {sealed.key_version} "
                "of the keyring the implementation was given: it seals under some other key")


# --- what it generates -------------------------------------------------------------------------

def test_totp_secrets_carry_at_least_128_bits(marked_users, mfa_implementation, mfa_sealer, api_conn, clock):
    user = marked_users.new("entropy")
    services, per_service = SECRET_SAMPLE
    sample = []
    for _ in range(services):
        service = mfa_implementation.service(api_conn, mfa_sealer, clock=clock)
        sample += [totp.secret_from_uri(service.enrol(user, "entropy").provisioning_uri) for _ in range(per_service)]
    lengths = {len(s) * 8 for s in sample}
    bit_rows = [strength.bits(s) for s in sample]
    estimate = strength.estimated_bits(bit_rows)
    repeats = strength.repeated(sample)
    constant = strength.near_constant_bits(bit_rows)
    figures = _figures("secrets", sample, estimate, lengths)
    assert min(lengths) >= TOTP_MIN_BITS, f"{figures}: a secret shorter than {TOTP_MIN_BITS} bits " \
                                          f"({TOTP_RECOMMENDED_BITS} recommended)"
    assert not repeats, f"{figures}: {repeats} repeat an earlier secret (a seeded or clock-driven generator?)"
    assert not constant, f"{figures}: bit position(s) {constant[:12]} (nearly) never change"
    assert estimate >= TOTP_MIN_BITS, f"{figures}: below {TOTP_MIN_BITS} bits"


def test_recovery_codes_carry_at_least_112_bits(marked_users, mfa_service):
    user = marked_users.new("entropy")
    sets = [mfa_service.regenerate_recovery_codes(user) for _ in range(RECOVERY_SAMPLE_SETS)]
    sample = [code for codes in sets for code in codes]
    estimate = strength.estimated_bits(sample)
    figures = _figures("recovery codes", sample, estimate, {len(c) for c in sample})
    short_sets = [n for n, codes in enumerate(sets) if len(codes) < 2]
    assert not short_sets, f"regeneration gave fewer than two codes in set(s) {short_sets}"
    repeats = strength.repeated(sample)
    assert not repeats, f"{figures}: {repeats} repeat an earlier code"
    assert estimate >= RECOVERY_MIN_BITS, (
        f"{figures}: below the {RECOVERY_MIN_BITS} bits a code stored as a plain SHA-256 needs "
        "(else a salted, slow KDF)")


# --- comparison --------------------------------------------------------------------------------

def _totp_variants(secret: bytes, at: float) -> dict[str, str]:
    right = totp.code_at(secret, at)
    window = {totp.code_at(secret, at + n * STEP) for n in range(-1, 2)}
    changed = strength.single_changes(right, ["0123456789"] * len(right), avoid=window)
    return {**{f"digit {i + 1} changed": code for i, code in changed.items()},
            "its first digits only": right[:-1], "one digit appended": right + "0", "empty": ""}


def test_a_totp_code_differing_anywhere_is_refused(enrolled, mfa_service, clock):
    """Each wrong code at a step of its own, followed by the right one (which must be accepted,
    and resets the failure count, so no lockout hides a wrong answer)."""
    user, secret = enrolled
    wrong, control = {}, {}
    for n, (what, code) in enumerate(_totp_variants(secret, T0 + STEP).items(), start=1):
        at = clock.set(T0 + n * STEP)
        code = _totp_variants(secret, at)[what]
        if (seen := mfa_service.verify(user, code)) is not Verdict.REFUSED:
            wrong[what] = seen.value
        if (seen := mfa_service.verify(user, totp.code_at(secret, at))) is not Verdict.ACCEPTED:
            control[what] = seen.value
    assert not wrong, f"codes that are not the right one, answered: {wrong}"
    assert not control, f"the right code after a wrong one, answered: {control}"


def test_a_recovery_code_differing_anywhere_is_refused(marked_users, mfa_service):
    user = marked_users.new("compare")
    alphabets = strength.positions([c for _ in range(5) for c in mfa_service.regenerate_recovery_codes(user)])
    alphabets = [[s for s in counts if s is not None] for counts in alphabets]
    unused: list[str] = []
    wrong, control, tried = {}, {}, 0

    def attempt(what: str, right: str, variant: str) -> None:
        nonlocal tried
        tried += 1
        if (seen := mfa_service.use_recovery_code(user, variant)) is not Verdict.REFUSED:
            wrong[what] = seen.value
        if (seen := mfa_service.use_recovery_code(user, right)) is not Verdict.ACCEPTED:
            control[what] = seen.value

    def next_code() -> str:
        if not unused:
            unused.extend(mfa_service.regenerate_recovery_codes(user))
        return unused.pop(0)

    for position in range(len(alphabets)):
        right = next_code()
        variant = strength.single_changes(right, alphabets).get(position)
        if variant is None:
            unused.insert(0, right)
            continue
        attempt(f"character {position + 1} changed", right, variant)
    right = next_code()
    attempt("its first half only", right, right[:len(right) // 2])
    right = next_code()
    tail = next(a for a in reversed(alphabets) if len(a) > 1)
    attempt("one character appended", right, right + sorted(tail)[0])
    attempt("empty", next_code(), "")
    assert tried > 3 and not wrong, f"of {tried} codes that are not a right one, answered: {wrong}"
    assert not control, f"the right code after a wrong one, answered: {control}"


# --- lockout -----------------------------------------------------------------------------------

def test_lockout_policy_is_within_nist_bounds(mfa_service):
    limit, lockout = mfa_service.max_failed_attempts, mfa_service.lockout.total_seconds()
    assert 1 <= limit <= NIST_MAX_FAILED_ATTEMPTS, (
        f"locks after {limit} consecutive failures: NIST allows at most {NIST_MAX_FAILED_ATTEMPTS}")
    assert lockout > 0, f"a lockout of {lockout} s locks nothing"


def _lock(user, secret, mfa_service, clock) -> list[Verdict]:
    limit = mfa_service.max_failed_attempts
    if limit > NIST_MAX_FAILED_ATTEMPTS:
        pytest.fail(f"not exercised: the implementation locks only after {limit} failures "
                    f"(NIST allows at most {NIST_MAX_FAILED_ATTEMPTS})")
    wrong = strength.wrong_totp_code(secret, clock())
    return [mfa_service.verify(user, wrong) for _ in range(limit)]


def test_lockout_comes_at_exactly_the_configured_count(enrolled, mfa_service, clock):
    user, secret = enrolled
    limit = mfa_service.max_failed_attempts
    seen = _lock(user, secret, mfa_service, clock)
    assert seen == [Verdict.REFUSED] * limit, (
        f"{limit} wrong codes (the configured limit), each should be judged and refused: {[v.value for v in seen]}")
    after = mfa_service.verify(user, totp.code_at(secret, clock()))
    assert after is Verdict.LOCKED, f"the right code after {limit} failures: {after.value}, expected locked"


def test_lockout_lifts_after_the_configured_duration_and_not_before(enrolled, mfa_service, clock):
    user, secret = enrolled
    locked_at = clock()
    _lock(user, secret, mfa_service, clock)
    duration = mfa_service.lockout.total_seconds()
    seen = {}
    for offset in sorted({1.0, duration / 2, duration - 1}):
        if 0 < offset < duration:
            at = clock.set(locked_at + offset)
            seen[f"+{offset:g}s"] = mfa_service.verify(user, totp.code_at(secret, at))
    early = {when: v.value for when, v in seen.items() if v is not Verdict.LOCKED}
    assert not early, f"lockout of {duration:g}s from {locked_at:g}: the right code before it ended got {early}"
    at = clock.set(locked_at + duration + 1)
    after = mfa_service.verify(user, totp.code_at(secret, at))
    assert after is Verdict.ACCEPTED, (
        f"the right code {duration + 1:g}s after the lockout began (configured {duration:g}s): {after.value}")
