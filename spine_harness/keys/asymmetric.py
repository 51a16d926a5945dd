"""The asymmetric key model as Supabase ships it now: GoTrue signs ES256 with an EC P-256 key
(`GOTRUE_JWT_KEYS`, a JSON array that also keeps the legacy HS256 secret for the transition),
PostgREST, Realtime and Storage verify against a JWKS, GoTrue publishes the public half at
/auth/v1/.well-known/jwks.json, and clients hold opaque API keys (`sb_publishable_...`,
`sb_secret_...`) that the gateway translates into internal JWTs.

Keys are made with `cryptography` and turned into JWKs and tokens by PyJWT; nothing here does
cryptography by hand. Every judging function raises tokens.SecretRejected with one line that
names the variable and the rule, never a value.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import secrets
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from spine_harness.keys import tokens
from spine_harness.keys.tokens import SecretRejected

SIGNING_ALG = "ES256"
CURVE = "P-256"
# The opaque keys: prefix, 22 random base64url characters, "_", an 8-character checksum over
# "<project ref>|<prefix><random>" (SHA-256, base64url), as upstream's generator makes them.
OPAQUE_PREFIXES = {"SUPABASE_PUBLISHABLE_KEY": "sb_publishable_", "SUPABASE_SECRET_KEY": "sb_secret_"}
OPAQUE_ROLES = {"SUPABASE_PUBLISHABLE_KEY": "anon", "SUPABASE_SECRET_KEY": "service_role"}
OPAQUE_RANDOM_CHARS = 22
OPAQUE_CHECKSUM_CHARS = 8
PROJECT_REF = "supabase-self-hosted"
# The internal JWTs the gateway puts in place of an opaque key, signed with the EC key.
INTERNAL_KEYS = {"ANON_KEY_ASYMMETRIC": "anon", "SERVICE_ROLE_KEY_ASYMMETRIC": "service_role"}
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")   # JWK members that are secret material


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- making keys ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, repr=False)
class SigningKey:
    """One EC P-256 signing key: the private key object and its kid."""

    private: ec.EllipticCurvePrivateKey
    kid: str

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(ec.generate_private_key(ec.SECP256R1()), str(uuid.uuid4()))

    @classmethod
    def from_jwk(cls, jwk: dict) -> "SigningKey":
        return cls(ECAlgorithm.from_jwk(json.dumps(jwk)), jwk["kid"])

    def private_jwk(self) -> dict:
        """As GoTrue wants it in GOTRUE_JWT_KEYS: the private key, allowed to sign and verify."""
        return ECAlgorithm.to_jwk(self.private, as_dict=True) | {
            "kid": self.kid, "use": "sig", "alg": SIGNING_ALG, "key_ops": ["sign", "verify"]}

    def public_jwk(self) -> dict:
        return ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True) | {
            "kid": self.kid, "use": "sig", "alg": SIGNING_ALG, "key_ops": ["verify"]}

    def sign(self, claims: dict, **header) -> str:
        return jwt.encode(claims, self.private, algorithm=SIGNING_ALG, headers={"kid": self.kid, **header})

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid})"


def legacy_jwk(secret: str) -> dict:
    """The legacy HS256 secret as a JWK, kept beside the EC key during the transition."""
    return {"kty": "oct", "k": _b64(secret.encode()), "alg": "HS256"}


def signing_keys(key: SigningKey | None, secret: str) -> list[dict]:
    """GOTRUE_JWT_KEYS: the EC private key (when the model is asymmetric) and the legacy secret."""
    return ([key.private_jwk()] if key else []) + [legacy_jwk(secret)]


def verifier_jwks(key: SigningKey | None, secret: str) -> dict:
    """What PostgREST, Realtime and Storage verify with: the EC public key and the legacy secret."""
    return {"keys": ([key.public_jwk()] if key else []) + [legacy_jwk(secret)]}


def published_jwks(keys: list[dict]) -> dict:
    """What GoTrue serves at /.well-known/jwks.json: the public half of each asymmetric key."""
    public = []
    for jwk in keys:
        if jwk.get("kty") == "oct":
            continue
        public.append({k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS} | {"key_ops": ["verify"]})
    return {"keys": public}


def opaque_key(name: str) -> str:
    prefix = OPAQUE_PREFIXES[name]
    intermediate = prefix + secrets.token_urlsafe(17)[:OPAQUE_RANDOM_CHARS]
    return f"{intermediate}_{_checksum(intermediate)}"


def _checksum(intermediate: str) -> str:
    return _b64(hashlib.sha256(f"{PROJECT_REF}|{intermediate}".encode()).digest())[:OPAQUE_CHECKSUM_CHARS]


def mint_internal_key(key: SigningKey, role: str, *, now: int | None = None) -> str:
    """ANON_KEY_ASYMMETRIC / SERVICE_ROLE_KEY_ASYMMETRIC: an API key's claims signed ES256."""
    iat = int(time.time()) if now is None else now
    return key.sign({"role": role, "iss": tokens.API_KEY_ISSUER, "iat": iat, "exp": iat + tokens.API_KEY_LIFETIME_S})


def mint_user_token(key: SigningKey, sub, *, role: str = "authenticated", aal: str = "aal1", ttl_s: int = 3600,
                    now: int | None = None, **extra) -> str:
    """A user session token as GoTrue issues it under the asymmetric model."""
    iat = int(time.time()) if now is None else now
    return key.sign({"sub": str(sub), "role": role, "aud": "authenticated", "aal": aal, "iss": tokens.API_KEY_ISSUER,
                     "iat": iat, "exp": iat + ttl_s, **extra})


# --- reading and judging ----------------------------------------------------------------------

def parse_json(name: str, text: str | None, kind: type):
    if not text:
        raise SecretRejected(f"{name} is missing or empty")
    try:
        value = json.loads(text)
    except ValueError:
        raise SecretRejected(f"{name} is not JSON") from None
    if not isinstance(value, kind):
        raise SecretRejected(f"{name} is a JSON {type(value).__name__}, not a JSON "
                             f"{'array' if kind is list else 'object'}")
    return value


def asymmetric_keys(keys: list[dict]) -> list[dict]:
    return [k for k in keys if isinstance(k, dict) and k.get("kty") != "oct"]


def is_asymmetric(jwt_keys_text: str | None) -> bool:
    """The model a deployment uses: asymmetric when GoTrue's keys hold a non-symmetric key."""
    try:
        return bool(asymmetric_keys(json.loads(jwt_keys_text or "[]")))
    except (ValueError, TypeError, AttributeError):
        return False


def check_signing_keys(text: str | None, secret: str | None, name: str = "JWT_KEYS") -> SigningKey | None:
    """GoTrue's keys: a JSON array; at most one asymmetric key, EC P-256 for ES256 with a kid and
    key_ops sign; a symmetric entry only as the legacy JWT_SECRET. The signing key, if any."""
    keys = parse_json(name, text, list)
    bad = [i for i, k in enumerate(keys) if not isinstance(k, dict)]
    if bad:
        raise SecretRejected(f"{name} entry {bad[0]} is not a JWK object")
    for jwk in keys:
        if jwk.get("kty") == "oct" and (secret is None or jwk.get("k") != _b64(secret.encode())):
            raise SecretRejected(f"{name} holds a symmetric key that is not the legacy JWT_SECRET")
    asym = asymmetric_keys(keys)
    if not asym:
        return None
    if len(asym) > 1:
        raise SecretRejected(f"{name} holds {len(asym)} asymmetric keys; one signs, rotated-out keys leave")
    jwk = asym[0]
    if (jwk.get("kty"), jwk.get("crv"), jwk.get("alg")) != ("EC", CURVE, SIGNING_ALG):
        raise SecretRejected(f"{name} signing key is kty {jwk.get('kty')!r} crv {jwk.get('crv')!r} alg "
                             f"{jwk.get('alg')!r}; expected an EC {CURVE} key for {SIGNING_ALG}")
    if not jwk.get("kid"):
        raise SecretRejected(f"{name} signing key has no kid: verifiers could not pick it")
    if "sign" not in (jwk.get("key_ops") or []) or "d" not in jwk:
        raise SecretRejected(f"{name} asymmetric key cannot sign (no key_ops sign or no private part)")
    try:
        return SigningKey.from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, KeyError):
        raise SecretRejected(f"{name} signing key is not a valid EC key") from None


def check_jwks(name: str, jwks: dict, signer: SigningKey | None, *, published: bool, secret: str | None = None) -> None:
    """A JWKS verifiers read. No private material ever; the signer's public key by its kid;
    published (GoTrue's endpoint): no symmetric key at all; a verifier's: only the legacy secret."""
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise SecretRejected(f"{name} has no keys array")
    for jwk in keys:
        private = [m for m in PRIVATE_MEMBERS if m in jwk and not (m == "k" and jwk.get("kty") == "oct")]
        if private:
            raise SecretRejected(f"{name} holds private key material ({', '.join(private)}) of kid {jwk.get('kid')!r}")
        if jwk.get("kty") == "oct":
            if published:
                raise SecretRejected(f"{name} publishes a symmetric (oct) key: the JWKS must hold public keys only")
            if secret is None or jwk.get("k") != _b64(secret.encode()):
                raise SecretRejected(f"{name} holds a symmetric key that is not the legacy JWT_SECRET")
    if signer is None:
        return
    expected = signer.public_jwk()
    match = [k for k in keys if k.get("kid") == signer.kid]
    if not match:
        raise SecretRejected(f"{name} lacks the signing key's kid: ES256 tokens would not verify")
    if any((k.get("x"), k.get("y"), k.get("crv")) != (expected["x"], expected["y"], expected["crv"]) for k in match):
        raise SecretRejected(f"{name} has the signing key's kid with another public key")


_OPAQUE = re.compile(r"^(sb_publishable_|sb_secret_)([A-Za-z0-9_-]{%d})_([A-Za-z0-9_-]{%d})$"
                     % (OPAQUE_RANDOM_CHARS, OPAQUE_CHECKSUM_CHARS))


def looks_like_jwt(value: str) -> bool:
    try:
        jwt.get_unverified_header(value)
        return True
    except jwt.PyJWTError:
        return False


def check_opaque_key(name: str, value: str | None) -> None:
    """The documented shape, the right prefix, a checksum that matches, and not a JWT."""
    if not value:
        raise SecretRejected(f"{name} is missing or empty")
    if looks_like_jwt(value):
        raise SecretRejected(f"{name} is a JWT: an opaque key must carry no claims")
    m = _OPAQUE.match(value)
    if m is None:
        raise SecretRejected(f"{name} does not have the shape {OPAQUE_PREFIXES[name]}<22 characters>_<checksum>")
    if m[1] != OPAQUE_PREFIXES[name]:
        raise SecretRejected(f"{name} starts with {m[1]!r}; expected {OPAQUE_PREFIXES[name]!r}")
    if _checksum(m[1] + m[2]) != m[3]:
        raise SecretRejected(f"{name} has a checksum that does not match its random part")
    if tokens.known_default(value):
        raise SecretRejected(f"{name} is a public default")


def check_internal_key(name: str, token: str | None, signer: SigningKey) -> dict:
    """ANON_KEY_ASYMMETRIC / SERVICE_ROLE_KEY_ASYMMETRIC: ES256, the signer's kid, the right role."""
    if not token:
        raise SecretRejected(f"{name} is missing or empty")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, signer.private.public_key(), algorithms=[SIGNING_ALG],
                            options={"require": ["exp", "iat", "role"], "verify_aud": False}, leeway=30)
    except jwt.ExpiredSignatureError:
        raise SecretRejected(f"{name} has expired") from None
    except jwt.PyJWTError as exc:
        raise SecretRejected(f"{name} does not verify with the signing key ({type(exc).__name__})") from None
    if header.get("kid") != signer.kid:
        raise SecretRejected(f"{name} names kid {header.get('kid')!r}, not the signing key's")
    if claims.get("role") != INTERNAL_KEYS[name]:
        raise SecretRejected(f"{name} carries role {claims.get('role')!r}; expected {INTERNAL_KEYS[name]!r}")
    return claims


def check_session_header(token: str, signer: SigningKey | None) -> None:
    """A session token GoTrue issued: ES256 with the signing key's kid where the model is
    asymmetric, HS256 where it is legacy."""
    header = jwt.get_unverified_header(token)
    expected = SIGNING_ALG if signer else "HS256"
    if header.get("alg") != expected:
        raise SecretRejected(f"the session token is signed {header.get('alg')!r}; expected {expected!r}")
    if signer and header.get("kid") != signer.kid:
        raise SecretRejected(f"the session token names kid {header.get('kid')!r}, not the signing key's")


# --- one deployment's key variables ------------------------------------------------------------

KEY_VARIABLES = ("JWT_KEYS", "JWT_JWKS", *OPAQUE_PREFIXES, *INTERNAL_KEYS)


def key_variables(model: str, secret: str, *, now: int | None = None) -> dict[str, str]:
    """The .env values of the key model beside JWT_SECRET. Both models get opaque keys (the
    gateway translates them into ANON_KEY / SERVICE_ROLE_KEY under legacy, into the ES256
    internal keys under asymmetric); only asymmetric gets an EC signing key."""
    key = SigningKey.generate() if model == "asymmetric" else None
    values = {
        "JWT_KEYS": _compact(signing_keys(key, secret) if key else []),
        "JWT_JWKS": _compact(verifier_jwks(key, secret)),
        **{name: opaque_key(name) for name in OPAQUE_PREFIXES},
    }
    values |= {name: mint_internal_key(key, role, now=now) if key else "" for name, role in INTERNAL_KEYS.items()}
    return values


def _compact(value) -> str:
    """JSON without spaces: one word in an env file."""
    return json.dumps(value, separators=(",", ":"))


def signer_of(jwt_keys_text: str | None, secret: str | None) -> SigningKey | None:
    """The signing key of GoTrue's keys, None under the legacy model (or when they are unfit)."""
    try:
        return check_signing_keys(jwt_keys_text or "[]", secret)
    except SecretRejected:
        return None
