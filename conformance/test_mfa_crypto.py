"""The sealing contract for TOTP secrets, on the implementation under test: AES-256-GCM that
hides the secret, refuses any change with InvalidTag, never repeats a nonce, opens only with
the right key, and survives a key rotation. Needs no server."""
from __future__ import annotations

import uuid

import pytest
from cryptography.exceptions import InvalidTag

from spine_harness.mfa import totp
from spine_harness.mfa.keys import Keyring
from spine_harness.mfa.sealing import NONCE_BYTES, TAG_BYTES, Sealed, totp_associated_data


USER, ROW = uuid.uuid4(), uuid.uuid4()
ASSOCIATED_DATA = totp_associated_data(USER, ROW)


def test_seal_opens_to_the_secret_and_hides_it(mfa_sealer):
    secret = totp.new_secret()
    sealed = mfa_sealer.seal(secret, ASSOCIATED_DATA)
    assert mfa_sealer.open(sealed, ASSOCIATED_DATA) == secret, "the sealed secret did not open to itself"
    assert len(sealed.nonce) == NONCE_BYTES, f"nonce is {len(sealed.nonce)} bytes, expected {NONCE_BYTES}"
    assert len(sealed.ciphertext) == len(secret) + TAG_BYTES, (
        f"ciphertext is {len(sealed.ciphertext)} bytes, expected {len(secret)} + a {TAG_BYTES}-byte tag")
    leaked = [n for n in (8, 4) if any(secret[i:i + n] in sealed.ciphertext for i in range(len(secret) - n + 1))]
    assert not leaked, f"the ciphertext contains {leaked[0]}-byte runs of the secret: it is not encrypted"


def _changed_at(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


@pytest.mark.parametrize("part", ["ciphertext", "nonce", "associated_data"])
def test_any_changed_byte_fails_with_invalid_tag(part, mfa_sealer):
    sealed = mfa_sealer.seal(totp.new_secret(), ASSOCIATED_DATA)
    original = ASSOCIATED_DATA if part == "associated_data" else getattr(sealed, part)
    opened = []
    for index in range(len(original)):
        changed = _changed_at(original, index)
        try:
            if part == "associated_data":
                mfa_sealer.open(sealed, changed)
            else:
                mfa_sealer.open(Sealed(**{**vars(sealed), part: changed}), ASSOCIATED_DATA)
        except InvalidTag:
            continue
        opened.append(index)
    assert not opened, f"{part} changed at byte(s) {opened} of {len(original)} still opened (no InvalidTag)"


def test_nonces_are_unique_across_seals(mfa_sealer):
    """Re-sealing one row (rotation, re-enrolment) must not repeat a nonce either."""
    secret = totp.new_secret()
    rows = [ASSOCIATED_DATA] * 1000 + [totp_associated_data(uuid.uuid4(), uuid.uuid4()) for _ in range(1000)]
    nonces = [mfa_sealer.seal(secret, ad).nonce for ad in rows]
    repeats = len(nonces) - len(set(nonces))
    assert not repeats, f"{repeats} of {len(nonces)} seals repeated a nonce under one key"


def test_a_wrong_key_fails(mfa_implementation):
    sealed = mfa_implementation.sealer(Keyring.generate()).seal(totp.new_secret(), ASSOCIATED_DATA)
    try:
        mfa_implementation.sealer(Keyring.generate()).open(sealed, ASSOCIATED_DATA)
    except InvalidTag:
        return
    pytest.fail(f"a secret sealed under one key opened under another key of version {sealed.key_version}")


def test_rotated_keyring_opens_old_rows_and_reseals_them(mfa_implementation):
    old_keyring = Keyring.generate(version=1)
    rotated = old_keyring.with_key(2)
    secret = totp.new_secret()
    old = mfa_implementation.sealer(old_keyring).seal(secret, ASSOCIATED_DATA)
    sealer = mfa_implementation.sealer(rotated)
    assert sealer.open(old, ASSOCIATED_DATA) == secret, "the rotated keyring did not open a row sealed under version 1"
    resealed = sealer.seal(sealer.open(old, ASSOCIATED_DATA), ASSOCIATED_DATA)
    assert resealed.key_version == 2, f"re-sealed under version {resealed.key_version}, expected the current 2"
    new_only = mfa_implementation.sealer(Keyring({2: rotated.key(2)}, 2))
    assert new_only.open(resealed, ASSOCIATED_DATA) == secret, "the re-sealed row did not open with the new key alone"
