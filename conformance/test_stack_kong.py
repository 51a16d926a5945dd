"""The gateway's declarative config, read without a gateway: every route to PostgREST, GoTrue,
Realtime or postgres-meta wants an API key and an ACL group; only the documented routes are
open; /pg is for service_role only; the dashboard wants basic-auth; and no key is written
into any file of the stack. (The live gateway suite sends the requests.) Needs no server."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from spine_harness.gateway import kong_config as kong
from spine_harness.deployment.architecture import DOCUMENTED_OPEN_ROUTES
from spine_harness.deployment import literals
from spine_harness.deployment.definition import StackDefinition

KEYED_SERVICES = ("rest", "auth", "realtime", "meta")   # compose services behind key-auth + ACL
ADMIN_ONLY_PREFIX = "/pg/"
DASHBOARD_PREFIX = "/"


@pytest.fixture(scope="module")
def stack(stack_dir) -> StackDefinition:
    return StackDefinition.load(stack_dir)


@pytest.fixture(scope="module")
def routes(stack):
    return stack.kong.routes


def _host(route) -> str:
    return urlsplit(route.upstream).hostname or ""


def test_api_routes_want_a_key_and_an_acl(stack, routes):
    keyed_hosts = set().union(*(stack.compose.service(s).hostnames for s in KEYED_SERVICES))
    bare = [f"{r.path} -> {r.upstream} (plugins: {sorted(r.plugins)})" for r in routes
            if _host(r) in keyed_hosts and r.path not in DOCUMENTED_OPEN_ROUTES
            and not r.terminated and not (r.key_auth and "acl" in r.plugins and r.acl_allow)]
    assert not bare, "routes to PostgREST/GoTrue/Realtime/meta without key-auth and an ACL:\n  " + "\n  ".join(bare)


def test_only_documented_routes_are_open(routes):
    undocumented = sorted(f"{r.path} -> {r.upstream}" for r in routes
                          if r.is_open and r.path not in DOCUMENTED_OPEN_ROUTES)
    assert not undocumented, f"open routes (no key-auth, no basic-auth) not in the architecture's list: {undocumented}"


def test_pg_meta_is_for_service_role_only(stack, routes):
    meta_hosts = stack.compose.service("meta").hostnames
    to_meta = [r for r in routes if _host(r) in meta_hosts or r.path.startswith(ADMIN_ONLY_PREFIX)]
    assert to_meta, f"no route reaches postgres-meta at {ADMIN_ONLY_PREFIX}"
    loose = [f"{r.path} (key-auth: {r.key_auth}, acl allow: {list(r.acl_allow)})" for r in to_meta
             if not (r.key_auth and "acl" in r.plugins and set(r.acl_allow) == {"admin"})]
    assert not loose, f"routes to postgres-meta must admit the admin group alone: {loose}"


def test_dashboard_wants_basic_auth(stack, routes):
    studio_hosts = stack.compose.service("studio").hostnames
    to_studio = [r for r in routes if _host(r) in studio_hosts or r.path == DASHBOARD_PREFIX]
    assert to_studio, f"no route reaches Studio at {DASHBOARD_PREFIX}"
    unguarded = [f"{r.path} -> {r.upstream}" for r in to_studio if not (r.basic_auth or r.terminated)]
    assert not unguarded, f"routes to Studio without basic-auth: {unguarded}"


def test_upstreams_are_services_of_the_stack(stack, routes):
    hosts = set().union(*(s.hostnames for s in stack.compose.services.values()))
    unknown = sorted({f"{r.path} -> {_host(r)}" for r in routes if _host(r) not in hosts})
    assert not unknown, f"routes to hosts no compose service answers to: {unknown}"


def test_kong_is_given_every_variable_it_substitutes(stack):
    needed = kong.referenced_variables(stack.kong_text)
    missing = sorted(needed - set(stack.compose.service("kong").environment))
    assert not missing, f"kong.yml uses {missing}, which the kong service's environment does not set"


def test_no_literal_key_or_jwt_in_the_stack(stack_dir):
    found = literals.findings(stack_dir)
    assert not found, "secrets written into the stack's files:\n  " + "\n  ".join(found)
