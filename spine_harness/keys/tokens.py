"""The deployment's JWT secret and API keys: minting them, and refusing weak or default ones.

One place for the rules, used by generate-secrets, the static suite, the token-hygiene suite
and the local target. Error messages name the variable, never its value.
"""
from __future__ import annotations

import hashlib
import string
import time
import uuid

import jwt

MIN_JWT_SECRET_LENGTH = 32          # PostgREST refuses a shorter HS256 secret
MIN_SECRET_DISTINCT_CHARS = 12
API_KEY_ISSUER = "supabase"
API_KEY_LIFETIME_S = 5 * 365 * 24 * 3600   # upstream's keys live about five years
MAX_API_KEY_LIFETIME_S = 10 * 365 * 24 * 3600
API_KEY_ROLES = {"ANON_KEY": "anon", "SERVICE_ROLE_KEY": "service_role"}

# Public placeholder values of the upstream example .env and the Supabase CLI, by SHA-256, so
# that no secret-shaped literal lives in this repository. A deployment carrying any is refused.
KNOWN_DEFAULTS: dict[str, str] = {
    "1453cea2dc3799e9026e42b3e465e455256d5a149582e4c5b92d4c8d604731a2": "upstream .env.example JWT_SECRET",
    "a064b502e61d27e94b8717290e5e1b32e36720e9fbdf952ec81a84c07128cb37": "Supabase CLI local JWT secret",
    "fc6a5e9ae75f9160dacd38844789d90a04c85c29c3c95c8c8c6e9da3f58c2365": "upstream .env.example ANON_KEY",
    "2359b281e1fa0ec38bb10316e2b0e3a7b960fe5d271ee75a4735ff1b313a222c": "upstream .env.example SERVICE_ROLE_KEY",
    "53d3eb3d9500cdcdbbe39c030eb2959438bcc459d5de9380db2a3c85b5de5360": "upstream .env.example POSTGRES_PASSWORD",
    "80d1c192cf2210c5282179cc9989f4be2e9b24605daabe1bc7da10fd9ed842ed": "upstream .env.example DASHBOARD_PASSWORD",
    "52f004438faf780274c9c95f79d1cf39d2355fbcf035899fc0242b1437f30df3": "upstream .env.example SECRET_KEY_BASE",
    "0a53c0992edae8ceb04c7a32ee47b49ad0b229c17b073e8c24683111c843d45e": "upstream .env.example VAULT_ENC_KEY",
    "627507f04b33fb434001b83fa1d73b39c7d9a88f2b9a3aec652527a7f0ea571a": "upstream .env.example PG_META_CRYPTO_KEY",
    "4feb5df17e31da658971467f079e9dfa946712c0281386fe631830bdfa1e7332": "upstream .env.example LOGFLARE_PUBLIC_ACCESS_TOKEN",
    "272b1f97285638be545049c9d56ed0c07b252faf0d47867068482d2b2374a2a9": "upstream .env.example LOGFLARE_PRIVATE_ACCESS_TOKEN",
}
# Words that do not belong in a generated secret: a human wrote it, or copied a placeholder.
WEAK_WORDS = ("secret", "password", "passwd", "changeme", "change-me", "supabase", "example", "default",
              "qwerty", "letmein", "admin", "token", "placeholder", "insecure", "12345")
DEMO_ISSUERS = ("supabase-demo",)


class SecretRejected(ValueError):
    """A secret or key is unfit; str() is one line naming the variable and the rule."""


def known_default(value: str) -> str | None:
    """The name of the public default this value is, if it is one."""
    return KNOWN_DEFAULTS.get(hashlib.sha256(value.encode()).hexdigest())


def check_secret(name: str, value: str | None, min_length: int = MIN_JWT_SECRET_LENGTH) -> None:
    if not value:
        raise SecretRejected(f"{name} is missing or empty")
    if (which := known_default(value)) is not None:
        raise SecretRejected(f"{name} is the public {which}: generate a fresh one")
    if len(value) < min_length:
        raise SecretRejected(f"{name} has {len(value)} characters; at least {min_length} are required")
    lowered = value.lower()
    if word := next((w for w in WEAK_WORDS if w in lowered), None):
        raise SecretRejected(f"{name} contains the word {word!r}: use a random value, not a phrase")
    if len(set(value)) < MIN_SECRET_DISTINCT_CHARS:
        raise SecretRejected(f"{name} uses only {len(set(value))} distinct characters: not random")
    if set(value) <= set(string.digits) or set(value) <= set(string.ascii_lowercase + "-_"):
        raise SecretRejected(f"{name} draws on too small an alphabet to be a random secret")


def check_jwt_secret(value: str | None, name: str = "JWT_SECRET") -> None:
    check_secret(name, value, MIN_JWT_SECRET_LENGTH)


def mint_api_key(secret: str, role: str, *, now: int | None = None, lifetime_s: int = API_KEY_LIFETIME_S) -> str:
    """An ANON_KEY / SERVICE_ROLE_KEY as upstream shapes them: role, iss, iat, exp; no sub, no aud."""
    iat = int(time.time()) if now is None else now
    return jwt.encode({"role": role, "iss": API_KEY_ISSUER, "iat": iat, "exp": iat + lifetime_s},
                      secret, algorithm="HS256")


def mint_user_token(secret: str, sub: uuid.UUID | str, *, role: str = "authenticated", aal: str = "aal1",
                    ttl_s: int = 3600, now: int | None = None, **extra) -> str:
    """A short-lived user access token as GoTrue issues them."""
    iat = int(time.time()) if now is None else now
    claims = {"sub": str(sub), "role": role, "aud": "authenticated", "aal": aal, "iss": API_KEY_ISSUER,
              "iat": iat, "exp": iat + ttl_s, **extra}
    return jwt.encode(claims, secret, algorithm="HS256")


def check_api_key(name: str, token: str | None, secret: str, *, now: int | None = None) -> dict:
    """Verify ANON_KEY or SERVICE_ROLE_KEY against the deployment's secret; return its claims."""
    expected_role = API_KEY_ROLES[name]
    if not token:
        raise SecretRejected(f"{name} is missing or empty")
    if (which := known_default(token)) is not None:
        raise SecretRejected(f"{name} is the public {which}: generate keys with stack/scripts/generate-secrets.sh")
    now = int(time.time()) if now is None else now
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "iat", "role"],
                                                                          "verify_aud": False}, leeway=30)
    except jwt.ExpiredSignatureError:
        raise SecretRejected(f"{name} has expired") from None
    except jwt.InvalidTokenError as exc:
        raise SecretRejected(f"{name} does not verify with JWT_SECRET ({type(exc).__name__})") from None
    if claims.get("iss") in DEMO_ISSUERS:
        raise SecretRejected(f"{name} was issued by {claims['iss']!r}, the upstream demo issuer")
    if claims.get("iss") != API_KEY_ISSUER:
        raise SecretRejected(f"{name} has iss {claims.get('iss')!r}; expected {API_KEY_ISSUER!r}")
    if claims.get("role") != expected_role:
        raise SecretRejected(f"{name} carries role {claims.get('role')!r}; expected {expected_role!r}")
    if claims["exp"] - now > MAX_API_KEY_LIFETIME_S:
        raise SecretRejected(f"{name} expires more than 10 years ahead: rotate keys, do not mint immortal ones")
    return claims


def check_key_pair(env: dict[str, str], *, now: int | None = None) -> None:
    """JWT_SECRET, ANON_KEY and SERVICE_ROLE_KEY of one deployment, together."""
    check_jwt_secret(env.get("JWT_SECRET"))
    for name in API_KEY_ROLES:
        check_api_key(name, env.get(name), env["JWT_SECRET"], now=now)
    if env["ANON_KEY"] == env["SERVICE_ROLE_KEY"]:
        raise SecretRejected("SERVICE_ROLE_KEY is the same as ANON_KEY")
