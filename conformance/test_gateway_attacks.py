"""The JWT attack catalogue (spine_harness.gateway.attacks) through the real gateway, each attack
against /rest/v1, /auth/v1, /storage/v1 and /realtime/v1: every one refused with 401 or 403, no
row leaked, and the attacker's own key server (a loopback server this suite starts) never
fetched. The asymmetric attacks use the JWKS the target publishes; the opaque keys are checked
too: an sb_ key only in Authorization is refused, an opaque apikey with a user's JWT keeps the
user's identity, and the secret key is refused from a browser.

Proven against the in-process double, in both key models, in tests/test_gateway_attacks.py.
"""
from __future__ import annotations

import uuid

import pytest

from spine_harness.gateway import attacker_server
from spine_harness.gateway.attacks import ALL_ATTACKS, Forge, attacker_jwks
from spine_harness.gateway.checks import (APIS, OPAQUE_KEYS, check_attack, check_opaque_apikey_keeps_user,
                                          check_published_jwks, check_sb_key_only_in_authorization,
                                          check_secret_key_refused_in_browser)

pytestmark = pytest.mark.needs("gateway")
CASES = [(attack, api) for attack in ALL_ATTACKS for api in attack.apis]


@pytest.fixture(scope="module")
def attacker():
    with attacker_server.serving(attacker_jwks()) as server:
        yield server


@pytest.fixture(scope="module")
def forge(spine, request, gateway, attacker) -> Forge:
    """The user-token attacks swap between the harness's own two users where it may write them;
    on a read-only target, between ids that belong to nobody."""
    if spine.writable:
        users = request.getfixturevalue("seed_rows").users
        owner, other = users["owner"], users["other"]
    else:
        owner, other = uuid.uuid4(), uuid.uuid4()
    published = gateway.send("GET", "/auth/v1/.well-known/jwks.json")
    jwks = published.json() if published.status_code == 200 else None
    return Forge(spine.anon_key, spine.service_role_key, spine.jwt_secret, owner, other,
                 signer=gateway.keys.signer, public_jwks=jwks, attacker=attacker)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].name}-{c[1]}")
def test_attack_refused(case, gateway, forge, spine):
    attack, api = case
    if attack.needs_secret and not forge.jwt_secret:
        pytest.skip(f"target '{spine.name}' does not give its JWT secret: {attack.name} is minted with it")
    if not attack.applies_to(forge):
        pytest.skip(f"target '{spine.name}' publishes no ES256 key (legacy model): {attack.name} has nothing to confuse")
    check_attack(gateway, attack, api, forge)


def test_published_jwks_is_public_keys_only(gateway):
    check_published_jwks(gateway)


def _opaque(spine):
    if not (spine.publishable_key and spine.secret_key):
        pytest.skip(f"target '{spine.name}' does not give its opaque keys (SPINE_PUBLISHABLE_KEY, SPINE_SECRET_KEY)")


@pytest.mark.parametrize("which", OPAQUE_KEYS)
@pytest.mark.parametrize("api", APIS)
def test_sb_key_only_in_authorization_refused(gateway, spine, which, api):
    _opaque(spine)
    check_sb_key_only_in_authorization(gateway, which, api)


@pytest.mark.parametrize("api", ("auth", "rest"))
def test_opaque_apikey_keeps_user_identity(gateway, spine, seed_rows, api):
    _opaque(spine)
    check_opaque_apikey_keeps_user(gateway, seed_rows.users["owner"], api)


@pytest.mark.parametrize("api", APIS)
def test_secret_key_refused_in_browser(gateway, spine, api):
    _opaque(spine)
    check_secret_key_refused_in_browser(gateway, api)
