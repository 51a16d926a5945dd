"""The deployment's JWT secret and API keys, judged by spine_harness.keys.tokens' rules: a secret of
at least 32 random characters that is no public default or dictionary word, and ANON_KEY and
SERVICE_ROLE_KEY that verify with it, carry their role, iss and a sane expiry, and differ.

And the key model, whichever the deployment uses (spine_harness.keys.asymmetric): GoTrue's
signing keys a JSON array with at most one EC P-256 ES256 key and the legacy secret; the JWKS
it publishes holds that key's public half and nothing symmetric or private; the opaque keys
have the documented shape, are not JWTs, and differ.

The local target mints fresh ones per run (legacy, or asymmetric with --spine-key-model), so it
is judged like any deployment.
"""
from __future__ import annotations

import json

import pytest

from spine_harness.keys import asymmetric, tokens
from spine_harness.targets import Target

# The secret is the database side's (PostgREST and GoTrue verify with it): wherever there is a
# database there is a secret to judge.
pytestmark = pytest.mark.needs("database")


@pytest.fixture(scope="module")
def secret(spine: Target) -> str:
    if not spine.jwt_secret:
        pytest.skip(f"target '{spine.name}' does not give its JWT secret (JWT_SECRET): nothing to judge")
    return spine.jwt_secret


def api_key(spine: Target, name: str) -> str | None:
    return {"ANON_KEY": spine.anon_key, "SERVICE_ROLE_KEY": spine.service_role_key}[name]


def rejected(check, *args, **kwargs) -> str | None:
    try:
        check(*args, **kwargs)
    except tokens.SecretRejected as exc:
        return str(exc)
    return None


def test_jwt_secret_is_strong(secret):
    assert (why := rejected(tokens.check_jwt_secret, secret)) is None, why


@pytest.mark.parametrize("name", list(tokens.API_KEY_ROLES))
def test_api_key_verifies_with_the_secret(name, spine, secret):
    if not (key := api_key(spine, name)):
        pytest.skip(f"target '{spine.name}' does not give its {name} (SPINE_{name}): nothing to judge")
    assert (why := rejected(tokens.check_api_key, name, key, secret)) is None, why


def test_service_key_is_not_the_anon_key(spine):
    if not (spine.anon_key and spine.service_role_key):
        pytest.skip(f"target '{spine.name}' does not give both API keys: nothing to compare")
    assert spine.service_role_key != spine.anon_key, "SERVICE_ROLE_KEY is the same as ANON_KEY"


def test_signing_keys_fit(spine, secret):
    assert (why := rejected(asymmetric.check_signing_keys, spine.jwt_keys or "[]", secret)) is None, why


def test_published_jwks_is_public_keys_only(spine, secret):
    if spine.jwks is None:
        pytest.skip(f"target '{spine.name}' publishes its JWKS through the gateway: test_gateway_attacks.py judges it")
    try:
        jwks = asymmetric.parse_json("the published JWKS", spine.jwks, dict)
    except tokens.SecretRejected as exc:
        pytest.fail(str(exc))
    signer = asymmetric.signer_of(spine.jwt_keys, secret)
    assert (why := rejected(asymmetric.check_jwks, "the published JWKS", jwks, signer, published=True)) is None, why
    if signer is not None:
        assert [k["kty"] for k in jwks["keys"]] == ["EC"], "the published JWKS holds keys besides the signing key"


OPAQUE = {"SUPABASE_PUBLISHABLE_KEY": "publishable_key", "SUPABASE_SECRET_KEY": "secret_key"}


@pytest.mark.parametrize("name", list(OPAQUE))
def test_opaque_key_shape(name, spine):
    value = getattr(spine, OPAQUE[name])
    if value is None:
        pytest.skip(f"target '{spine.name}' does not give {name}")
    assert (why := rejected(asymmetric.check_opaque_key, name, value)) is None, why


def test_opaque_keys_differ(spine):
    if not (spine.publishable_key and spine.secret_key):
        pytest.skip(f"target '{spine.name}' does not give both opaque keys")
    assert spine.publishable_key != spine.secret_key, "SUPABASE_SECRET_KEY is the same as SUPABASE_PUBLISHABLE_KEY"
    assert json.dumps(spine.secret_key) not in (spine.jwks or ""), "the secret key appears in the published JWKS"
