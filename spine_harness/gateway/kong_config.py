"""Reading Kong's declarative config (stack/volumes/api/kong.yml) into the gateway-neutral route
table: who may pass each route, decided by its key-auth, ACL, basic-auth and request-termination
plugins."""
from __future__ import annotations

import re
import string
from pathlib import Path

import yaml

from spine_harness.gateway.route_table import Route, RouteTable

RELATIVE_PATH = "volumes/api/kong.yml"
# Consumers and the key variables each holds, as kong.yml declares them (legacy and opaque).
KEY_VARIABLES = {"anon": ("SUPABASE_ANON_KEY", "SUPABASE_PUBLISHABLE_KEY"),
                 "service_role": ("SUPABASE_SERVICE_KEY", "SUPABASE_SECRET_KEY")}


# Kong's reading is a RouteTable (spine_harness.gateway.route_table), like Envoy's.
KongConfig = RouteTable


def parse(text: str) -> KongConfig:
    raw = yaml.safe_load(text) or {}
    routes = []
    for svc in raw.get("services") or []:
        plugins = {p["name"]: p.get("config") or {} for p in svc.get("plugins") or []}
        allow = tuple((plugins.get("acl") or {}).get("allow") or ())
        for route in svc.get("routes") or []:
            route_plugins = {p["name"]: p.get("config") or {} for p in route.get("plugins") or []}
            merged = plugins | route_plugins
            route_allow = tuple((route_plugins.get("acl") or {}).get("allow") or ()) or allow
            for path in route.get("paths") or []:
                routes.append(Route(svc["name"], route.get("name", svc["name"]), path, svc.get("url", ""),
                                    frozenset(merged), route_allow))
    groups: dict[str, list[str]] = {}
    for acl in raw.get("acls") or []:
        groups.setdefault(acl["consumer"], []).append(acl["group"])
    keys = {c["username"]: tuple(k["key"] for k in c.get("keyauth_credentials") or [])
            for c in raw.get("consumers") or []}
    return RouteTable(tuple(routes), {c: tuple(g) for c, g in groups.items()}, keys, raw, "kong", "kong.yml")


def load(stack_dir: Path) -> RouteTable:
    return parse((Path(stack_dir) / RELATIVE_PATH).read_text())


def referenced_variables(text: str) -> set[str]:
    """The $VARIABLES the entrypoint will substitute."""
    return set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", text))


def render(text: str, values: dict[str, str]) -> str:
    """What Kong's entrypoint does at start: substitute the variables, refusing a missing one."""
    missing = referenced_variables(text) - set(values)
    if missing:
        raise KeyError(f"kong.yml needs {', '.join(sorted(missing))}")
    return string.Template(text).substitute(values)
