"""TLS probes with Python's own OpenSSL client, pinned to one protocol version or one cipher.

OpenSSL 3 on Debian refuses TLS 1.0/1.1 and weak suites on the client side at its default
security level; the probes lower that floor (SECLEVEL=0) so that a refusal really comes from
the server under test.
"""
from __future__ import annotations

import dataclasses
import socket
import ssl
import warnings

VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
EVERY_CIPHER = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
FORWARD_SECRET_KEY_EXCHANGES = ("kx-ecdhe", "kx-dhe")


@dataclasses.dataclass(frozen=True)
class Handshake:
    protocol: str | None
    cipher: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def client_context(version: str, ciphers: str = EVERY_CIPHER) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE   # these probes judge protocol and cipher, not the certificate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # TLSv1/1.1 are deprecated: that is the point
        ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    ctx.set_ciphers(ciphers)
    return ctx


def handshake(host: str, port: int, server_name: str, version: str, ciphers: str = EVERY_CIPHER) -> Handshake:
    """One handshake offering only `version` (and `ciphers`); never raises for a refusal."""
    ctx = client_context(version, ciphers)
    try:
        with socket.create_connection((host, port), timeout=5) as raw, \
                ctx.wrap_socket(raw, server_hostname=server_name) as tls:
            return Handshake(tls.version(), tls.cipher()[0])
    except (ssl.SSLError, ConnectionError, TimeoutError) as exc:
        return Handshake(None, None, f"{type(exc).__name__}: {exc}")


def tls12_suites() -> list[dict]:
    """Every TLS 1.2 suite this machine's OpenSSL can offer, weak ones included."""
    ctx = client_context("TLSv1.2")
    return [c for c in ctx.get_ciphers() if c["protocol"] != "TLSv1.3"]


def weakness(suite: dict) -> str | None:
    """Why a cipher suite is weak (Mozilla's "intermediate" bar), or None."""
    if suite.get("auth") == "auth-null":
        return "anonymous (no authentication)"
    if suite.get("kea") not in FORWARD_SECRET_KEY_EXCHANGES:
        return f"no forward secrecy ({suite.get('kea')})"
    if not suite.get("aead"):
        return f"not AEAD ({suite.get('symmetric')}, {suite.get('digest')})"
    return None
