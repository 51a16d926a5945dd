"""The JWT attack catalogue (spine_harness.gateway.attacks) through the real gateway, each attack
against /rest/v1 and /auth/v1: every one refused with 401 or 403 and no row leaked.

Proven against the in-process double in tests/test_gateway_attacks.py.
"""
from __future__ import annotations

import uuid

import pytest

from spine_harness.gateway.attacks import ATTACKS, Forge
from spine_harness.gateway.checks import APIS, check_attack

pytestmark = pytest.mark.needs("gateway")


@pytest.fixture(scope="module")
def forge(spine, request) -> Forge:
    """The user-token attacks swap between the harness's own two users where it may write them;
    on a read-only target, between ids that belong to nobody."""
    if spine.writable:
        users = request.getfixturevalue("seed_rows").users
        owner, other = users["owner"], users["other"]
    else:
        owner, other = uuid.uuid4(), uuid.uuid4()
    return Forge(spine.anon_key, spine.service_role_key, spine.jwt_secret, owner, other)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_refused(attack, api, gateway, forge, spine):
    if attack.needs_secret and not forge.jwt_secret:
        pytest.skip(f"target '{spine.name}' does not give its JWT secret: {attack.name} is minted with it")
    check_attack(gateway, attack, api, forge)
