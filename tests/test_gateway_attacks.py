"""The JWT attack catalogue, proven against the double: every attack is refused on /rest/v1 and
/auth/v1 as configured, and the checks fail when the token rules are broken (alg none
accepted, exp not checked)."""
from __future__ import annotations

import pytest

from spine_harness.gateway.attacks import ATTACKS, Forge
from spine_harness.gateway.checks import APIS, check_attack
from tests.gateway_double import BREAKAGES, failing, seeded, serving

CASES = [(attack, api) for attack in ATTACKS for api in APIS]


def case_id(case) -> str:
    attack, api = case
    return f"{attack.name}-{api}"


@pytest.fixture(scope="module")
def forge(local_spine):
    target = local_spine.target()
    with seeded(target) as seed:
        yield Forge(target.anon_key, target.service_role_key, target.jwt_secret,
                    seed.users["owner"], seed.users["other"])


@pytest.fixture(scope="module")
def gateway(local_spine):
    with serving(local_spine.target()) as gw:
        yield gw


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_attack_refused_as_configured(gateway, forge, case):
    check_attack(gateway, *case, forge)


@pytest.mark.parametrize(("breakage", "must_fail"), [
    ("accepts_alg_none", {f"alg_{c}-{api}" for c in ("none", "None", "NONE", "nOnE") for api in APIS}),
    ("accepts_expired", {f"expired-{api}" for api in APIS}),
])
def test_attack_checks_catch(breakage, must_fail, local_spine, forge):
    with serving(local_spine.target(), BREAKAGES[breakage]) as gw:
        failed = failing(lambda case: check_attack(gw, *case, forge), CASES, case_id)
    assert must_fail <= failed, f"{BREAKAGES[breakage].breaks}: {sorted(must_fail - failed)} did not fail"
    assert failed <= must_fail, f"{BREAKAGES[breakage].breaks}: unrelated checks failed: {sorted(failed - must_fail)}"
