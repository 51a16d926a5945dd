"""Reading Envoy's route configuration (the listener file upstream's Envoy gateway loads,
stack/volumes/api/envoy/lds.yaml) into the gateway-neutral route table.

What decides who passes, in Envoy's terms: the HTTP connection manager's `http_filters` give
the defaults (a basic_auth filter guards every route that does not disable it; an RBAC filter's
policies allow requests whose `apikey` header equals one of the named keys), and each route's
`typed_per_filter_config` overrides them (basic_auth disabled; an RBAC that allows anyone, one
that allows only some keys, or one that denies everyone: the gateway's own 403). A policy's
name is the ACL group of the keys it lists.
"""
from __future__ import annotations

import re

import yaml

from spine_harness.gateway.route_table import ACL, BASIC_AUTH, KEY_AUTH, TERMINATED, Route, RouteTable

RELATIVE_PATH = "volumes/api/envoy/lds.yaml"
BASIC_AUTH_FILTER = "envoy.filters.http.basic_auth"
RBAC_FILTER = "envoy.filters.http.rbac"
HCM = "envoy.filters.network.http_connection_manager"
# The key variables and the consumer each belongs to (as kong.yml's consumers hold them).
CONSUMER_OF_VARIABLE = {
    "ANON_KEY": "anon", "SUPABASE_ANON_KEY": "anon", "SUPABASE_PUBLISHABLE_KEY": "anon", "ANON_KEY_ASYMMETRIC": "anon",
    "SERVICE_ROLE_KEY": "service_role", "SUPABASE_SERVICE_KEY": "service_role", "SUPABASE_SECRET_KEY": "service_role",
    "SERVICE_ROLE_KEY_ASYMMETRIC": "service_role",
}
_VARIABLE = re.compile(r"^\$\{?([A-Z_][A-Z0-9_]*)\}?$")


class EnvoyConfigError(ValueError):
    """The file is not an Envoy listener configuration this reader understands; one line."""


def _connection_managers(raw: dict) -> list[dict]:
    found = []
    for resource in raw.get("resources") or raw.get("static_resources", {}).get("listeners") or []:
        for chain in resource.get("filter_chains") or []:
            for f in chain.get("filters") or []:
                if f.get("name") == HCM:
                    found.append(f.get("typed_config") or {})
    if not found:
        raise EnvoyConfigError("no http_connection_manager in the Envoy listener configuration")
    return found


def _rules(rbac: dict | None) -> dict | None:
    """An RBAC config's rules, from a filter (`rules`) or a per-route override (`rbac.rules`)."""
    if not rbac:
        return None
    return (rbac.get("rbac") or {}).get("rules") if "rbac" in rbac else rbac.get("rules")


def _keys_of(principal: dict) -> list[str]:
    header = principal.get("header") or {}
    if header.get("name", "").lower() != "apikey":
        return []
    exact = (header.get("string_match") or {}).get("exact") or header.get("exact_match") or ""
    return [exact.strip("'\"")]


class _Access:
    """Who a route's RBAC rules let through."""

    def __init__(self, rules: dict | None) -> None:
        self.rules = rules
        self.open = self.denied = False
        self.groups: dict[str, list[str]] = {}     # policy (group) -> keys
        if rules is None:
            self.open = True
            return
        action = rules.get("action", "ALLOW")
        for group, policy in (rules.get("policies") or {}).items():
            principals = policy.get("principals") or []
            anyone = any(p.get("any") for p in principals)
            if action == "DENY" and anyone:
                self.denied = True
            elif action == "ALLOW" and anyone:
                self.open = True
            elif action == "ALLOW":
                self.groups[group] = [k for p in principals for k in _keys_of(p)]


def parse(text: str) -> RouteTable:
    raw = yaml.safe_load(text) or {}
    routes, groups, keys = [], {}, {}
    for hcm in _connection_managers(raw):
        filters = {f.get("name"): f.get("typed_config") or {} for f in hcm.get("http_filters") or []}
        default_rbac = _rules(filters.get(RBAC_FILTER)) if RBAC_FILTER in filters else None
        has_basic_auth = BASIC_AUTH_FILTER in filters
        for vhost in (hcm.get("route_config") or {}).get("virtual_hosts") or []:
            for spec in vhost.get("routes") or []:
                match = spec.get("match") or {}
                path, exact = (match["path"], True) if "path" in match else (match.get("prefix"), False)
                if path is None:
                    raise EnvoyConfigError(f"route {spec.get('name', '?')} matches neither a prefix nor a path")
                per_route = spec.get("typed_per_filter_config") or {}
                basic = has_basic_auth and not (per_route.get(BASIC_AUTH_FILTER) or {}).get("disabled")
                override = per_route.get(RBAC_FILTER)
                if override and override.get("disabled"):
                    rules = None
                elif override:
                    rules = _rules(override)
                else:
                    rules = default_rbac
                access = _Access(rules)
                plugins = set()
                allow: tuple[str, ...] = ()
                if access.denied or "direct_response" in spec and spec["direct_response"].get("status") == 403:
                    plugins.add(TERMINATED)
                elif basic:
                    plugins.add(BASIC_AUTH)
                elif not access.open:
                    plugins |= {KEY_AUTH, ACL}
                    allow = tuple(access.groups)
                    for group, group_keys in access.groups.items():
                        for key in group_keys:
                            m = _VARIABLE.match(key)
                            consumer = CONSUMER_OF_VARIABLE.get(m[1] if m else "", f"key:{key[:12]}")
                            keys.setdefault(consumer, [])
                            if key not in keys[consumer]:
                                keys[consumer].append(key)
                            if group not in groups.setdefault(consumer, []):
                                groups[consumer].append(group)
                target = spec.get("route") or {}
                upstream = f"http://{target.get('cluster', '')}{target.get('prefix_rewrite', '')}"
                name = spec.get("name") or f"envoy{path}"
                routes.append(Route(target.get("cluster", ""), name, path, upstream, frozenset(plugins), allow, exact))
    return RouteTable(tuple(routes), {c: tuple(g) for c, g in groups.items()},
                      {c: tuple(k) for c, k in keys.items()}, raw, "envoy", RELATIVE_PATH)
