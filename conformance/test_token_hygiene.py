"""The deployment's JWT secret and API keys, judged by spine_harness.keys.tokens' rules: a secret of
at least 32 random characters that is no public default or dictionary word, and ANON_KEY and
SERVICE_ROLE_KEY that verify with it, carry their role, iss and a sane expiry, and differ.

The local target mints fresh ones per run, so it is judged like any deployment.
"""
from __future__ import annotations

import pytest

from spine_harness.keys import tokens
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


def rejected(check, *args) -> str | None:
    try:
        check(*args)
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
