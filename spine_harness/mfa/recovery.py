"""Recovery codes (NIST "look-up secrets"): 10 per set, 120 bits each from the CSPRNG, so that
an unsalted SHA-256 is acceptable storage (SP 800-63B 5.1.2 asks for at least 112 bits;
below that a salted, slow KDF would be needed).

A code is shown as six groups of four base32 characters; what is hashed is its normalised
form, so dashes, spaces and lower case typed by a person do not matter.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

CODES_PER_SET = 10
CODE_BYTES = 15          # 120 bits; 24 base32 characters, no padding
MIN_ENTROPY_BITS = 112
GROUP = 4


def new_code() -> str:
    text = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()
    return "-".join(text[i:i + GROUP] for i in range(0, len(text), GROUP))


def new_set() -> list[str]:
    return [new_code() for _ in range(CODES_PER_SET)]


def normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def code_hash(code: str) -> bytes:
    """The 32-byte SHA-256 digest that is stored instead of the code."""
    return hashlib.sha256(normalise(code).encode("ascii", "replace")).digest()


def matching_hash(code: str, stored: list[bytes]) -> bytes | None:
    """The stored digest `code` hashes to, comparing against every one in constant time."""
    return matching_digest(code_hash(code), stored)


def matching_digest(candidate: bytes, stored: list[bytes]) -> bytes | None:
    """The stored digest equal to `candidate`, every one compared in constant time."""
    matched = None
    for digest in stored:
        if hmac.compare_digest(candidate, digest):
            matched = digest
    return matched
