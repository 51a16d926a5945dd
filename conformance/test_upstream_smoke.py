"""Upstream's smoke tests for self-hosted stacks (docker/tests/test-self-hosted.sh and
test-auth-keys.sh) as pytest checks through the real gateway: the services answer, Studio wants
its basic-auth, a marked user's lifecycle through the admin API (its session token signed as the
key model says), REST and GraphQL answer, a 7 MB object round trip and a signed URL fetched
without auth, /pg/ for service_role only, the MCP routes and Realtime's management API blocked,
and legacy HS256 tokens still accepted. conformance/UPSTREAM.md maps each upstream check here.

Writes are the harness's own marked user and bucket, removed afterwards; a read-only target
skips them. Proven against the in-process double in tests/test_upstream_smoke.py.
"""
from __future__ import annotations

import pytest

from spine_harness.gateway import smoke

pytestmark = pytest.mark.needs("gateway")


def _writable(spine):
    if not spine.writable:
        pytest.skip(f"target '{spine.name}' is read-only: set SPINE_ALLOW_WRITES=1 to let the suite create "
                    "(and remove) its own marked user and bucket")


@pytest.mark.parametrize("service", [p[0] for p in smoke.HEALTH_PROBES])
def test_service_answers(gateway, service):
    smoke.check_service_answers(gateway, service)


@pytest.mark.parametrize("with_auth", [True, False], ids=["basic_auth", "no_auth"])
def test_studio(gateway, spine, with_auth):
    if with_auth and gateway.keys.dashboard is None:
        pytest.skip(f"target '{spine.name}' does not give the dashboard's credentials")
    smoke.check_studio(gateway, with_auth)


def test_user_lifecycle(gateway, spine):
    _writable(spine)
    smoke.check_user_lifecycle(gateway)


def test_rest_answers(gateway):
    smoke.check_rest_answers(gateway)


def test_graphql_answers(gateway):
    smoke.check_graphql_answers(gateway)


def test_storage_large_object_round_trip(gateway, spine):
    _writable(spine)
    smoke.check_large_object_round_trip(gateway)


def test_storage_signed_url_without_auth(gateway, spine):
    _writable(spine)
    smoke.check_signed_url_without_auth(gateway)


@pytest.mark.parametrize("which", ["service", "anon", None], ids=["service_role", "anon", "no_key"])
def test_pg_meta(gateway, which):
    smoke.check_pg_meta(gateway, which)


@pytest.mark.parametrize("path", smoke.BLOCKED_PATHS)
def test_blocked_route(gateway, path):
    smoke.check_blocked(gateway, path)


def test_legacy_hs256_still_accepted(gateway, spine):
    if not spine.jwt_secret:
        pytest.skip(f"target '{spine.name}' does not give its JWT secret: no HS256 token can be minted")
    smoke.check_legacy_hs256_accepted(gateway)
