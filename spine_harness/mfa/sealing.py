"""Sealing a TOTP secret with AES-256-GCM (cryptography's AESGCM): a fresh random 96-bit nonce
per seal, never a derived one (a repeated nonce under one key gives away the XOR of the two
plaintexts and the authentication key), and associated data that binds the ciphertext to its
user and row, so a sealed secret copied onto another user's row does not open.
"""
from __future__ import annotations

import dataclasses
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spine_harness.mfa.keys import Keyring

NONCE_BYTES = 12
TAG_BYTES = 16
# Versioned, so that a later change of what is bound cannot open rows sealed under this one.
_TOTP_CONTEXT = b"gerege.user_totp.v1\x00"


@dataclasses.dataclass(frozen=True)
class Sealed:
    """What is stored: user_totp.secret_ciphertext, secret_nonce and key_version."""

    ciphertext: bytes
    nonce: bytes
    key_version: int


def totp_associated_data(user_id: uuid.UUID, row_id: uuid.UUID) -> bytes:
    return _TOTP_CONTEXT + uuid.UUID(str(user_id)).bytes + uuid.UUID(str(row_id)).bytes


class Sealer:
    """Seals under the keyring's current key, opens under the key the row names."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    @property
    def current_version(self) -> int:
        return self.keyring.current

    def seal(self, secret: bytes, associated_data: bytes) -> Sealed:
        version = self.keyring.current
        nonce = os.urandom(NONCE_BYTES)
        return Sealed(AESGCM(self.keyring.key(version)).encrypt(nonce, secret, associated_data), nonce, version)

    def open(self, sealed: Sealed, associated_data: bytes) -> bytes:
        """The secret; cryptography's InvalidTag if anything was changed or it belongs elsewhere."""
        return AESGCM(self.keyring.key(sealed.key_version)).decrypt(sealed.nonce, sealed.ciphertext, associated_data)

    def needs_reseal(self, sealed: Sealed) -> bool:
        return sealed.key_version != self.keyring.current
