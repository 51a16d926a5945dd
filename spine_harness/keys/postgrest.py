"""A request's JWT turned into the database role exactly as PostgREST does it, so the suites can
judge token handling on every target with a database, gateway or not.

PostgREST with a plain secret: HS256 only (alg none, RS256 and the rest are refused), exp, nbf
and iat checked with 30 seconds of clock skew, exp optional, aud unchecked (the stack sets no
jwt-aud); the verified claims then become `request.jwt.claims` and a missing role claim means
the anonymous role. The switch itself is spine_harness.database.impersonation's.
"""
from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator

import jwt
import psycopg
from jwt.algorithms import ECAlgorithm

from spine_harness.database import impersonation

CLOCK_SKEW_S = 30
ANON_ROLE = "anon"   # PostgREST's db-anon-role in the stack


class TokenRefused(Exception):
    """PostgREST's 401 for a bad token: its error code and a one-line reason (never the token)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def verify(token: str | None, secret: str) -> dict:
    """The claims PostgREST would run a request with; no token at all is the anonymous request."""
    if token is None:
        return {}
    return _decode(token, secret, "HS256")


def _decode(token: str, key, algorithm: str) -> dict:
    """PyJWT's verdict in PostgREST's words: 30 s of skew, aud unchecked, exp optional."""
    try:
        return jwt.decode(token, key, algorithms=[algorithm], leeway=CLOCK_SKEW_S,
                          options={"verify_aud": False, "require": []})
    except jwt.ExpiredSignatureError:
        raise TokenRefused("PGRST303", "JWT expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenRefused("PGRST303", "JWT not yet valid or issued in the future") from None
    except jwt.PyJWTError as exc:
        raise TokenRefused("PGRST301", f"JWT cryptographic operation failed ({type(exc).__name__})") from None


def role_of(claims: dict) -> str:
    return claims.get("role") or ANON_ROLE


@contextlib.contextmanager
def request(conn: psycopg.Connection, token: str | None, secret: str, *, commit: bool = False,
            method: str = "GET", path: str = "/") -> Iterator[psycopg.Cursor]:
    """One request as PostgREST runs it for this bearer token: TokenRefused before the database
    is touched, else one transaction as the token's role with its claims."""
    claims = verify(token, secret)
    with impersonation.request(conn, claims, commit=commit, method=method, path=path) as cur:
        yield cur


def verify_jwks(token: str | None, jwks: dict) -> dict:
    """PostgREST with a JWKS as its jwt-secret (the asymmetric model): HS256 against the JWKS's
    symmetric key (the legacy secret), ES256 against the EC key the header's kid names; nothing
    is ever fetched, and no key the token itself carries (jwk, jku, x5u) is looked at."""
    if token is None:
        return {}
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenRefused("PGRST301", f"JWT cryptographic operation failed ({type(exc).__name__})") from None
    alg, keys = header.get("alg"), jwks.get("keys") or []
    if alg == "HS256":
        octs = [k for k in keys if k.get("kty") == "oct"]
        if not octs:
            raise TokenRefused("PGRST301", "JWT cryptographic operation failed (no symmetric key)")
        return verify(token, _oct_secret(octs[0]))
    if alg != "ES256":
        raise TokenRefused("PGRST301", f"JWT cryptographic operation failed (algorithm {alg!r} not accepted)")
    match = [k for k in keys if k.get("kty") == "EC" and k.get("kid") == header.get("kid")]
    if not match:
        raise TokenRefused("PGRST301", "JWT cryptographic operation failed (no key with that kid)")
    return _decode(token, ECAlgorithm.from_jwk(json.dumps(match[0])), "ES256")


def _oct_secret(jwk: dict) -> str:
    return base64.urlsafe_b64decode(jwk["k"] + "=" * (-len(jwk["k"]) % 4)).decode()
