"""Reading Kong's declarative config (stack/volumes/api/kong.yml) into routes a suite can reason
about: who may pass each route, decided by its key-auth, ACL and basic-auth plugins."""
from __future__ import annotations

import dataclasses
import re
import string
from pathlib import Path

import yaml

# Consumers and the ACL group each belongs to, as kong.yml declares them.
KEY_VARIABLES = {"anon": "SUPABASE_ANON_KEY", "service_role": "SUPABASE_SERVICE_KEY"}


@dataclasses.dataclass(frozen=True)
class Route:
    service: str
    name: str
    path: str
    upstream: str
    plugins: frozenset[str]
    acl_allow: tuple[str, ...]

    @property
    def key_auth(self) -> bool:
        return "key-auth" in self.plugins

    @property
    def basic_auth(self) -> bool:
        return "basic-auth" in self.plugins

    @property
    def is_open(self) -> bool:
        return not (self.key_auth or self.basic_auth)

    def admits_group(self, group: str) -> bool:
        """With key-auth, may a consumer of this ACL group pass? (No ACL plugin: any consumer.)"""
        return "acl" not in self.plugins or group in self.acl_allow


@dataclasses.dataclass(frozen=True)
class KongConfig:
    routes: tuple[Route, ...]
    consumer_groups: dict[str, tuple[str, ...]]   # consumer -> ACL groups
    consumer_keys: dict[str, tuple[str, ...]]     # consumer -> key-auth keys (variable references)
    raw: dict

    def route_for(self, path: str) -> Route | None:
        """Kong's matching for prefix paths: the longest matching prefix wins."""
        candidates = [r for r in self.routes if path.startswith(r.path)]
        return max(candidates, key=lambda r: len(r.path), default=None)


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
    return KongConfig(tuple(routes), {c: tuple(g) for c, g in groups.items()}, keys, raw)


def load(stack_dir: Path) -> KongConfig:
    return parse((Path(stack_dir) / "volumes" / "api" / "kong.yml").read_text())


def referenced_variables(text: str) -> set[str]:
    """The $VARIABLES the entrypoint will substitute."""
    return set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", text))


def render(text: str, values: dict[str, str]) -> str:
    """What Kong's entrypoint does at start: substitute the variables, refusing a missing one."""
    missing = referenced_variables(text) - set(values)
    if missing:
        raise KeyError(f"kong.yml needs {', '.join(sorted(missing))}")
    return string.Template(text).substitute(values)
