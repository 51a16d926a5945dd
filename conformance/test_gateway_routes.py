"""Every route of the gateway's route table (kong.yml, or Envoy's route configuration) through the real gateway: no apikey and an unknown apikey get 401,
the anon key passes only where the anon group is in the route's ACL (else 403), the service key
passes, the opaque keys pass where their consumer does, open routes are open, terminated routes
answer 403. The cases are generated from the route table of the stack under test
(spine_harness.gateway.routes), so a route is covered the day it is added.

Proven against the in-process double in tests/test_gateway_routes.py.
"""
from __future__ import annotations

import pytest

from spine_harness.gateway import route_table, routes
from spine_harness.gateway.checks import check_route
from spine_harness.pytest_plugin import settings_of

pytestmark = pytest.mark.needs("gateway")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = routes.cases(route_table.load(settings_of(metafunc.config).stack_dir))
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


def test_route(gateway, case, spine):
    if case.credential.opaque and not (spine.publishable_key and spine.secret_key):
        pytest.skip(f"target '{spine.name}' does not give its opaque keys (SPINE_PUBLISHABLE_KEY, SPINE_SECRET_KEY)")
    check_route(gateway, case)
