"""The gateway route checks, proven against the double: they pass on kong.yml as written and
fail on a route left without key-auth and on anon let into an admin-only ACL."""
from __future__ import annotations

import pytest

from spine_harness.gateway import kong_config as kong
from spine_harness.gateway import routes
from spine_harness.gateway.checks import check_route
from spine_harness.config.paths import STACK_DIR
from tests.gateway_double import BREAKAGES, failing, serving

CASES = routes.cases(kong.load(STACK_DIR))


@pytest.fixture(scope="module")
def gateway(local_spine):
    with serving(local_spine.target()) as gw:
        yield gw


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_route_check_passes_as_configured(gateway, case):
    check_route(gateway, case)


@pytest.mark.parametrize(("breakage", "must_fail"), [
    ("route_without_key_auth", {"rest-v1-all-no_apikey", "rest-v1-all-unknown_apikey"}),
    ("anon_in_admin_acl", {"meta-all-anon_key"}),
])
def test_route_checks_catch(breakage, must_fail, local_spine):
    with serving(local_spine.target(), BREAKAGES[breakage]) as gw:
        failed = failing(lambda case: check_route(gw, case), CASES, lambda case: case.id)
    assert must_fail <= failed, f"{BREAKAGES[breakage].breaks}: {sorted(must_fail - failed)} did not fail"
    assert failed <= must_fail, f"{BREAKAGES[breakage].breaks}: unrelated checks failed: {sorted(failed - must_fail)}"
