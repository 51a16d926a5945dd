"""Upstream's smoke checks (spine_harness.gateway.smoke), proven against the double in both key
models: each passes as configured and fails on the breakage it guards against."""
from __future__ import annotations

import pytest

from spine_harness.gateway import smoke
from tests.gateway_double import BREAKAGES, serving
from tests.test_gateway_attacks import MODELS, in_model

CHECKS = {
    **{f"service-{s}": (lambda gw, s=s: smoke.check_service_answers(gw, s)) for s, *_ in smoke.HEALTH_PROBES},
    "studio-basic_auth": lambda gw: smoke.check_studio(gw, True),
    "studio-no_auth": lambda gw: smoke.check_studio(gw, False),
    "user_lifecycle": smoke.check_user_lifecycle,
    "rest": smoke.check_rest_answers,
    "graphql": smoke.check_graphql_answers,
    "storage_large_object": smoke.check_large_object_round_trip,
    "storage_signed_url": smoke.check_signed_url_without_auth,
    **{f"pg_meta-{w}": (lambda gw, w=w: smoke.check_pg_meta(gw, w)) for w in ("service", "anon", None)},
    **{f"blocked{p}": (lambda gw, p=p: smoke.check_blocked(gw, p)) for p in smoke.BLOCKED_PATHS},
    "legacy_hs256": smoke.check_legacy_hs256_accepted,
}


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("name", CHECKS)
def test_smoke_check_passes_as_configured(local_spine, model, name):
    with serving(in_model(local_spine.target(), model)) as gw:
        CHECKS[name](gw)


@pytest.mark.parametrize(("breakage", "model", "must_fail"), [
    ("studio_open", "legacy", "studio-no_auth"),
    ("storage_down", "legacy", "storage_large_object"),
    ("storage_down", "legacy", "service-storage"),
    ("signed_url_needs_auth", "legacy", "storage_signed_url"),
    ("anon_in_admin_acl", "legacy", "pg_meta-anon"),
    ("mcp_unblocked", "legacy", "blocked/mcp"),
    ("session_hs256", "asymmetric", "user_lifecycle"),
])
def test_smoke_checks_catch(local_spine, breakage, model, must_fail):
    with serving(in_model(local_spine.target(), model), BREAKAGES[breakage]) as gw:
        with pytest.raises(AssertionError):
            CHECKS[must_fail](gw)
