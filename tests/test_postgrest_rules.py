"""The harness's own re-implementation of PostgREST's token rules (spine_harness.keys.postgrest),
which the double and the always-on suites build on: every attack of the catalogue is refused,
before or at the database, with the legacy secret and with a JWKS; and a weak secret is what
lets the guessed-secret attack through. (Moved from conformance: it judged this code, not the
Spine.)"""
from __future__ import annotations

import json
import uuid
import warnings

import pytest

from spine_harness.gateway.attacks import ALL_ATTACKS, ATTACKS, GUESSED_SECRET, Forge
from spine_harness.keys import asymmetric, tokens
from spine_harness.keys import postgrest as postgrest_auth
from spine_harness.database.connections import connect
from conformance.test_jwt_roles import SWITCH_REFUSED


@pytest.fixture(scope="module")
def target(local_spine):
    return local_spine.target()


@pytest.fixture(scope="module")
def api_conn(target):
    with connect(target.api_dsn, autocommit=True) as conn:
        yield conn


def accepted(token, conn, verify) -> str | None:
    """The role a token ran as, or None where it was refused."""
    try:
        claims = verify(token)
    except postgrest_auth.TokenRefused:
        return None
    from spine_harness.database.impersonation import request
    try:
        with request(conn, claims) as cur:
            cur.execute("select id from public.users")
            return cur.execute("select current_user::text").fetchone()[0]
    except SWITCH_REFUSED:
        return None


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_forged_token_refused(attack, target, api_conn):
    forge = Forge(target.anon_key, target.service_role_key, target.jwt_secret, uuid.uuid4(), uuid.uuid4())
    role = accepted(attack.token(forge), api_conn, lambda t: postgrest_auth.verify(t, target.jwt_secret))
    assert role in (None, "anon"), f"attack {attack.name} ran as {role!r}"
    if attack.name != "anon_key_as_bearer":
        assert role is None, f"attack {attack.name} was accepted as {role!r}"


@pytest.mark.parametrize("attack", [a for a in ALL_ATTACKS if not a.needs_attacker_server], ids=lambda a: a.name)
def test_forged_token_refused_by_jwks(attack, target, api_conn):
    values = asymmetric.key_variables("asymmetric", target.jwt_secret)
    jwks = json.loads(values["JWT_JWKS"])
    forge = Forge(target.anon_key, target.service_role_key, target.jwt_secret, uuid.uuid4(), uuid.uuid4(),
                  public_jwks=asymmetric.published_jwks(json.loads(values["JWT_KEYS"])))
    role = accepted(attack.token(forge), api_conn, lambda t: postgrest_auth.verify_jwks(t, jwks))
    assert role in (None, "anon"), f"attack {attack.name} ran as {role!r}"


def test_jwks_verification_accepts_both_models(target):
    values = asymmetric.key_variables("asymmetric", target.jwt_secret)
    jwks, signer = json.loads(values["JWT_JWKS"]), asymmetric.signer_of(values["JWT_KEYS"], target.jwt_secret)
    assert postgrest_auth.verify_jwks(asymmetric.mint_user_token(signer, uuid.uuid4()), jwks)["role"] == "authenticated"
    assert postgrest_auth.verify_jwks(target.service_role_key, jwks)["role"] == "service_role"   # HS256 still valid


def test_guessed_secret_falls_to_a_weak_secret(target, api_conn):
    """The teeth of the attack: against a deployment whose secret is the dictionary word, it is
    accepted, so the catalogue would catch such a Spine through a gateway."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        anon = tokens.mint_api_key(GUESSED_SECRET, "anon")
    guessed = next(a for a in ATTACKS if a.name == "guessed_secret")
    forge = Forge(anon, anon, GUESSED_SECRET, uuid.uuid4(), uuid.uuid4())
    assert accepted(guessed.token(forge), api_conn, lambda t: postgrest_auth.verify(t, GUESSED_SECRET)) == "service_role"
