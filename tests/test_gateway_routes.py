"""The gateway route checks, proven against the double: they pass on kong.yml as written and
fail on a route left without key-auth, on anon let into an admin-only ACL and on the MCP routes
left unblocked; and the route table reads Envoy's configuration to the same verdicts."""
from __future__ import annotations

import pytest

from pathlib import Path

from spine_harness.gateway import envoy_config, route_table, routes
from spine_harness.gateway.checks import check_route
from spine_harness.config.paths import STACK_DIR
from tests.gateway_double import BREAKAGES, failing, serving

CASES = routes.cases(route_table.load(STACK_DIR))


@pytest.fixture(scope="module")
def gateway(local_spine):
    with serving(local_spine.target()) as gw:
        yield gw


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_route_check_passes_as_configured(gateway, case):
    check_route(gateway, case)


@pytest.mark.parametrize(("breakage", "must_fail"), [
    ("route_without_key_auth", {"rest-v1-all-no_apikey", "rest-v1-all-unknown_apikey"}),
    ("anon_in_admin_acl", {"meta-all-anon_key", "meta-all-publishable_key"}),
    ("mcp_unblocked", {f"mcp-blocked{p}-{c.value}" for p in ("/mcp", "/api/mcp") for c in routes.Credential}),
])
def test_route_checks_catch(breakage, must_fail, local_spine):
    with serving(local_spine.target(), BREAKAGES[breakage]) as gw:
        failed = failing(lambda case: check_route(gw, case), CASES, lambda case: case.id)
    assert must_fail <= failed, f"{BREAKAGES[breakage].breaks}: {sorted(must_fail - failed)} did not fail"
    assert failed <= must_fail, f"{BREAKAGES[breakage].breaks}: unrelated checks failed: {sorted(failed - must_fail)}"


ENVOY_FIXTURE = Path(__file__).parent / "fixtures" / "envoy" / "lds.yaml"


def test_envoy_reader_agrees_with_kong_on_shared_routes():
    """The same route, read from Envoy's RBAC and basic_auth filters and from kong.yml's plugins,
    gets the same verdict for every credential."""
    envoy = routes.cases(envoy_config.parse(ENVOY_FIXTURE.read_text()))
    kong_cases = {(c.route.path, c.credential): c.expected for c in CASES}
    assert {c.route.name for c in envoy} == {"auth-v1-open-jwks", "storage-v1-all", "rest-v1-all", "auth-v1-all",
                                             "meta-all", "mcp-blocked", "dashboard-all"}
    differ = [(c.route.path, c.credential.value, c.expected.value) for c in envoy
              if kong_cases.get((c.route.path, c.credential), c.expected) is not c.expected]
    assert not differ, f"Envoy and Kong disagree: {differ}"


def test_route_table_picks_envoy_where_no_kong(tmp_path):
    target = tmp_path / envoy_config.RELATIVE_PATH
    target.parent.mkdir(parents=True)
    target.write_text(ENVOY_FIXTURE.read_text())
    table = route_table.load(tmp_path)
    assert table.gateway == "envoy" and table.route_for("/pg/schemas").name == "meta-all"
    assert route_table.load(STACK_DIR).gateway == "kong"


def test_envoy_reader_refuses_what_it_cannot_read():
    with pytest.raises(envoy_config.EnvoyConfigError, match="http_connection_manager"):
        envoy_config.parse("resources: []")
