"""The JWT attack catalogue (after jwt_tool's playbook), as data: each attack says how its bearer
token is forged and what it is after. Tokens are made with PyJWT; only what PyJWT refuses to
produce (alg none in other casings, a blank HMAC key, broken signatures) is put together by hand
from PyJWT's own encoders and signers.

The gateway suite sends every attack to /rest/v1, /auth/v1, /storage/v1 and /realtime/v1.
ATTACKS are the legacy (HS256) catalogue; ASYMMETRIC_ATTACKS add what the ES256 model opens:
algorithm confusion with the public key, embedded jwk, jku/x5u at the attacker's own loopback
server, kid injection, an r = s = 0 signature and a key rotated out.
"""
from __future__ import annotations

import base64
import dataclasses
import enum
import functools
import json
import secrets
import time
import uuid
import warnings
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, RSAAlgorithm

from spine_harness.keys import asymmetric, tokens

# What an attacker guesses first when the secret might be a word (the dictionary the hygiene
# suite forbids); a deployment whose secret it is falls to this attack.
GUESSED_SECRET = "secret"
ATTACKER_JKU = "https://attacker.invalid/.well-known/jwks.json"
KID_PATH_TRAVERSAL = "../../../../../../dev/null"
FUTURE_S = 120     # well beyond PostgREST's 30 s of clock skew


class Aim(str, enum.Enum):
    """What a forged token is after, which decides where it is sent."""

    ESCALATE = "service_role's reach"     # read every row / the auth admin API
    IMPERSONATE = "another user's rows"   # act as a different signed-in user


@dataclasses.dataclass(frozen=True)
class Forge:
    """What the attacker holds: the public anon key (and, for the suite's own validly signed
    but wrong tokens, the deployment's secret)."""

    anon_key: str
    service_role_key: str
    jwt_secret: str | None
    owner: uuid.UUID
    other: uuid.UUID
    signer: asymmetric.SigningKey | None = None   # the deployment's (for validly signed user tokens)
    public_jwks: dict | None = None               # what GoTrue publishes: the attacker holds it too
    attacker: object | None = None                # the attacker's loopback key server (attacker_server)
    retired: asymmetric.SigningKey | None = None  # a signing key the deployment no longer trusts


@dataclasses.dataclass(frozen=True)
class Attack:
    name: str
    how: str                                 # one line, quoted in failure messages
    aim: Aim
    forge: Callable[[Forge], str | None]     # the bearer token; None sends no Authorization
    needs_secret: bool = False               # validly signed with the deployment's secret
    needs_public_key: bool = False           # built from the published ES256 key (asymmetric model)
    needs_attacker_server: bool = False      # names the attacker's URL: the check proves it was never fetched
    # Where it is sent. A validly signed low-privilege token (none, the anon key, a role the
    # database refuses) is answered by design on Storage and Realtime: those go to REST and Auth,
    # whose resources are service-only; every forged token goes to all four.
    apis: tuple[str, ...] = ("rest", "auth", "storage", "realtime")

    def token(self, forge: Forge) -> str | None:
        if self.needs_secret and not forge.jwt_secret:
            raise ValueError(f"attack {self.name} is minted with the deployment's JWT secret, which the target does not give")
        if self.needs_public_key and not public_ec_keys(forge):
            raise ValueError(f"attack {self.name} needs the deployment's published ES256 key; its JWKS has none")
        if self.needs_attacker_server and forge.attacker is None:
            raise ValueError(f"attack {self.name} needs the attacker's loopback key server")
        return self.forge(forge)

    def applies_to(self, forge: Forge) -> bool:
        """Whether the target's key model gives this attack something to work with."""
        return not (self.needs_public_key and not public_ec_keys(forge))


# --- putting tokens together ---------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _service_claims(now: int | None = None) -> dict:
    """The claims of a service key: what an escalating attacker wants the server to believe."""
    iat = int(time.time()) if now is None else now
    return {"role": "service_role", "iss": tokens.API_KEY_ISSUER, "iat": iat, "exp": iat + 3600}


def _retouched(token: str, **changes) -> str:
    """The token with claims changed and its original signature kept (no re-signing)."""
    header, _, signature = token.split(".")
    return f"{header}.{_segment(_claims(token) | changes)}.{signature}"


def _unsigned(alg: str, claims: dict) -> str:
    return f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(claims)}."


def _blank_key_hs256(claims: dict, **header) -> str:
    """HS256 over an empty key, which PyJWT's encoder refuses; signed by PyJWT's HMAC signer."""
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', **header})}.{_segment(claims)}"
    signature = HMACAlgorithm(HMACAlgorithm.SHA256).sign(signing_input.encode(), b"")
    return f"{signing_input}.{_b64(signature)}"


def _signed(claims: dict, secret: str, **header) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS256", headers=header or None)


@functools.cache
def _attacker_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _attacker_rs256(claims: dict, **header) -> str:
    return jwt.encode(claims, _attacker_rsa_key(), algorithm="RS256", headers=header)


def _attacker_jwk() -> dict:
    return RSAAlgorithm.to_jwk(_attacker_rsa_key().public_key(), as_dict=True)


def _cut_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    return f"{header}.{payload}.{signature[: len(signature) // 2]}"


def _drop_signature(token: str) -> str:
    header, payload, _ = token.split(".")
    return f"{header}.{payload}."


def _user_token(f: Forge, **claims) -> str:
    return tokens.mint_user_token(f.jwt_secret, f.owner, **claims)


def _at(offset_s: int, **claims) -> dict:
    now = int(time.time())
    return _service_claims(now + offset_s) | claims


# --- the catalogue --------------------------------------------------------------------------------

ESC, IMP = Aim.ESCALATE, Aim.IMPERSONATE

ATTACKS: tuple[Attack, ...] = (
    Attack("no_token", "the anon apikey and no Authorization header", ESC, lambda f: None, apis=("rest", "auth")),
    Attack("truncated_signature", "the service key with half its signature cut off", ESC,
           lambda f: _cut_signature(f.service_role_key)),
    Attack("null_signature", "the service key's header and payload with an empty signature", ESC,
           lambda f: _drop_signature(f.service_role_key)),
    *(Attack(f"alg_{casing}", f"service_role claims, header alg {casing!r}, no signature", ESC,
             lambda f, casing=casing: _unsigned(casing, _service_claims()))
      for casing in ("none", "None", "NONE", "nOnE")),
    Attack("blank_key_hmac", "service_role claims signed HS256 with an empty key", ESC,
           lambda f: _blank_key_hs256(_service_claims())),
    Attack("wrong_secret", "service_role claims signed with a random secret", ESC,
           lambda f: _signed(_service_claims(), secrets.token_urlsafe(48))),
    Attack("guessed_secret", f"service_role claims signed with the dictionary word {GUESSED_SECRET!r}", ESC,
           lambda f: _signed(_service_claims(), GUESSED_SECRET)),
    *(Attack(f"tampered_role_{role}", f"the anon key with role changed to {role}, not re-signed", ESC,
             lambda f, role=role: _retouched(f.anon_key, role=role))
      for role in ("service_role", "postgres", "supabase_admin")),
    Attack("tampered_sub", "a user token with sub swapped to another user, not re-signed", IMP,
           lambda f: _retouched(_user_token(f), sub=str(f.other)), needs_secret=True),
    Attack("tampered_aal", "a user token with aal1 changed to aal2, not re-signed", IMP,
           lambda f: _retouched(_user_token(f, aal="aal1"), aal="aal2"), needs_secret=True),
    Attack("expired", f"service_role claims, validly signed, expired {FUTURE_S} s ago", ESC,
           lambda f: _signed(_at(-3600 - FUTURE_S), f.jwt_secret), needs_secret=True),
    Attack("nbf_future", f"service_role claims, validly signed, nbf {FUTURE_S} s ahead", ESC,
           lambda f: _signed(_at(0, nbf=int(time.time()) + FUTURE_S), f.jwt_secret), needs_secret=True),
    Attack("iat_future", f"service_role claims, validly signed, iat {FUTURE_S} s ahead", ESC,
           lambda f: _signed(_at(FUTURE_S), f.jwt_secret), needs_secret=True),
    Attack("injected_jwk", "service_role claims signed RS256 by an attacker key embedded as jwk", ESC,
           lambda f: _attacker_rs256(_service_claims(), jwk=_attacker_jwk())),
    Attack("injected_jku", "service_role claims signed RS256 by an attacker key named by a jku URL", ESC,
           lambda f: _attacker_rs256(_service_claims(), jku=ATTACKER_JKU, kid="attacker")),
    Attack("injected_kid", f"service_role claims, kid {KID_PATH_TRAVERSAL!r}, HS256 over an empty key", ESC,
           lambda f: _blank_key_hs256(_service_claims(), kid=KID_PATH_TRAVERSAL)),
    Attack("ungranted_role", "validly signed for role postgres, which authenticator is not granted", ESC,
           lambda f: _signed(_service_claims() | {"role": "postgres"}, f.jwt_secret), needs_secret=True,
           apis=("rest", "auth")),
    Attack("anon_key_as_bearer", "the anon key presented as the bearer on a service-only resource", ESC,
           lambda f: f.anon_key, apis=("rest", "auth")),
)


# --- the asymmetric catalogue ------------------------------------------------------------------

ZERO_SIGNATURE = _b64(bytes(64))   # ES256's r = 0 and s = 0, as the 64 raw bytes of a JWS signature
KID_SQL = "x' UNION SELECT 'attacker-key' -- "
SQL_KID_SECRET = "attacker-key"


def public_ec_keys(f: Forge) -> list[dict]:
    return [k for k in (f.public_jwks or {}).get("keys", []) if k.get("kty") == "EC"]


@functools.cache
def _attacker_ec_key() -> asymmetric.SigningKey:
    return asymmetric.SigningKey.generate()


def attacker_jwks() -> dict:
    """What the attacker's own server serves (the key its jku/x5u tokens are signed with)."""
    return {"keys": [_attacker_ec_key().public_jwk() | {"kid": "attacker"}]}


def _attacker_es256(claims: dict, **header) -> str:
    return jwt.encode(claims, _attacker_ec_key().private, algorithm="ES256", headers=header)


def _target_kid(f: Forge) -> str:
    keys = public_ec_keys(f)
    return keys[0]["kid"] if keys else "spine-harness-no-such-kid"


def _public_key_hmac(f: Forge) -> str:
    """HS256 keyed with the deployment's public key as PEM: a verifier that picks the algorithm
    from the header and feeds it the key it has falls to this. PyJWT refuses to encode it, so
    its HMAC signer signs the input."""
    public = ECAlgorithm.from_jwk(json.dumps(public_ec_keys(f)[0]))
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': _target_kid(f)})}.{_segment(_service_claims())}"
    return f"{signing_input}.{_b64(HMACAlgorithm(HMACAlgorithm.SHA256).sign(signing_input.encode(), pem))}"


def _zero_signature(f: Forge) -> str:
    header = _segment({"alg": "ES256", "typ": "JWT", "kid": _target_kid(f)})
    return f"{header}.{_segment(_service_claims())}.{ZERO_SIGNATURE}"


def _retired(f: Forge) -> str:
    key = f.retired or asymmetric.SigningKey.generate()
    return key.sign(_service_claims())


ASYMMETRIC_ATTACKS: tuple[Attack, ...] = (
    Attack("alg_confusion_public_key", "service_role claims signed HS256 with the published ES256 public key", ESC,
           _public_key_hmac, needs_public_key=True),
    Attack("embedded_jwk_es256", "service_role claims signed ES256 by an attacker key embedded as jwk, the target's kid", ESC,
           lambda f: _attacker_es256(_service_claims(), jwk=_attacker_ec_key().public_jwk(), kid=_target_kid(f))),
    Attack("jku_attacker_server", "service_role claims signed ES256 by the key a jku on the attacker's server names", ESC,
           lambda f: _attacker_es256(_service_claims(), jku=f.attacker.jku, kid="attacker"), needs_attacker_server=True),
    Attack("x5u_attacker_server", "service_role claims signed ES256, x5u naming the attacker's server", ESC,
           lambda f: _attacker_es256(_service_claims(), x5u=f.attacker.x5u, kid="attacker"), needs_attacker_server=True),
    Attack("kid_path_traversal_es256", f"service_role claims signed ES256 by an attacker key, kid {KID_PATH_TRAVERSAL!r}", ESC,
           lambda f: _attacker_es256(_service_claims(), kid=KID_PATH_TRAVERSAL)),
    Attack("kid_sql_injection", "service_role claims signed HS256 with the key a SQL fragment in kid would select", ESC,
           lambda f: _signed(_service_claims(), SQL_KID_SECRET, kid=KID_SQL)),
    Attack("kid_unknown", "service_role claims signed ES256 by an attacker key under a kid nobody published", ESC,
           lambda f: _attacker_es256(_service_claims(), kid=str(uuid.uuid4()))),
    Attack("es256_zero_signature", "service_role claims, alg ES256 with the target's kid, signature r = s = 0", ESC,
           _zero_signature),
    Attack("rotated_out_key", "service_role claims signed ES256 by a signing key rotated out of the JWKS", ESC,
           _retired),
)
ALL_ATTACKS = ATTACKS + ASYMMETRIC_ATTACKS
