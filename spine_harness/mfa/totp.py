"""RFC 6238 TOTP with pyotp: 160-bit secrets, 6 digits, 30 s steps, SHA-1 (what authenticator
apps support), at most one step of drift either way.

pyotp keeps no state; which time step a code matched is returned so the caller can refuse a
second use of that step (RFC 6238 5.2).
"""
from __future__ import annotations

import base64
import urllib.parse

import pyotp

ISSUER = "Gerege"
SECRET_BYTES = 20   # 160 bits, RFC 4226's recommendation
DIGITS = 6
STEP_SECONDS = 30


def new_secret() -> bytes:
    """A fresh 160-bit secret from pyotp (which draws from the OS CSPRNG)."""
    return base64.b32decode(pyotp.random_base32(length=SECRET_BYTES * 8 // 5))


def _totp(secret: bytes) -> pyotp.TOTP:
    return pyotp.TOTP(base64.b32encode(secret).decode(), digits=DIGITS, interval=STEP_SECONDS)


def provisioning_uri(secret: bytes, account_name: str) -> str:
    """The otpauth:// URI an authenticator app scans; shown once, never stored."""
    return _totp(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def secret_from_uri(uri: str) -> bytes:
    """The secret an authenticator app reads from the URI (what a test plays the app with)."""
    return base64.b32decode(urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0])


def code_at(secret: bytes, at: float) -> str:
    return _totp(secret).at(at)


def time_step(at: float) -> int:
    return _totp(b"\0" * SECRET_BYTES).timecode(at)


def matching_step(secret: bytes, code: str, at: float, drift_steps: int = 1) -> int | None:
    """The time step `code` belongs to, within `drift_steps` of `at`; None if it matches none.
    Every candidate is compared (in constant time) so the answer's timing does not say which."""
    totp = _totp(secret)
    now = totp.timecode(at)
    matched = None
    for offset in range(-drift_steps, drift_steps + 1):
        if pyotp.utils.strings_equal(str(code), totp.at(at, counter_offset=offset)):
            matched = now + offset
    return matched
