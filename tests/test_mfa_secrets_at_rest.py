"""Recognising secrets in clear among sealed bytes, and the recovery-code rules, offline."""
from __future__ import annotations

import hashlib
import os

import pyotp
import pytest

from spine_harness.mfa import recovery, totp
from spine_harness.mfa.at_rest import plaintext_kind
from spine_harness.mfa.implementation import IMPLEMENTATION_VAR, REFERENCE, selected
from spine_harness.mfa.keys import Keyring
from spine_harness.mfa.sealing import Sealer


@pytest.mark.parametrize("value", [
    pyotp.random_base32().encode(),                    # a secret as the app shows it, in a bytea
    pyotp.random_base32().lower(),                     # ...or in a text column, lower case
    recovery.new_code().encode(),                      # a recovery code as typed
    b"otpauth://totp/Gerege:someone?secret=AB&issuer=Gerege",
])
def test_secrets_in_clear_are_recognised(value):
    assert plaintext_kind(value), f"not recognised: {value!r}"


@pytest.mark.parametrize("value", [
    Sealer(Keyring.generate()).seal(totp.new_secret(), b"row").ciphertext,
    hashlib.sha256(b"code").digest(), os.urandom(12), None, 42, b"", "mn-MN",
])
def test_sealed_bytes_digests_and_ordinary_values_are_not(value):
    assert plaintext_kind(value) is None


def test_a_finding_describes_the_secret_without_quoting_it():
    secret = pyotp.random_base32()
    assert secret not in plaintext_kind(secret)


def test_recovery_codes_carry_at_least_112_bits_and_hash_to_32_bytes():
    codes = recovery.new_set()
    assert len(codes) == recovery.CODES_PER_SET == len(set(codes))
    assert recovery.CODE_BYTES * 8 >= recovery.MIN_ENTROPY_BITS
    assert all(len(recovery.normalise(c)) * 5 == recovery.CODE_BYTES * 8 for c in codes)
    assert all(len(recovery.code_hash(c)) == 32 for c in codes)


def test_a_recovery_code_matches_however_it_is_typed():
    code = recovery.new_code()
    stored = [recovery.code_hash(c) for c in recovery.new_set()] + [recovery.code_hash(code)]
    typed = code.lower().replace("-", " ")
    assert recovery.matching_hash(typed, stored) == recovery.code_hash(code)
    assert recovery.matching_hash(recovery.new_code(), stored) is None


def test_the_reference_implementation_is_the_default():
    assert selected({}) is REFERENCE


@pytest.mark.parametrize("spec, says", [
    ("spine_harness.mfa", "not 'module:attribute'"),
    ("spine_harness.nowhere:X", "names nothing importable"),
    ("spine_harness.mfa.implementation:IMPLEMENTATION_VAR", "not an Implementation"),
])
def test_a_bad_implementation_name_is_refused_in_one_line(spec, says):
    with pytest.raises(ValueError, match=says) as caught:
        selected({IMPLEMENTATION_VAR: spec})
    assert "\n" not in str(caught.value)
