"""What the gateway must do on every route, generated from kong.yml itself (via spine_harness.gateway.kong_config)
so a route is covered the day it is added: no apikey and an unknown apikey are refused with 401,
each key passes only where its consumer's ACL group is allowed (else 403), open routes are open,
and a basic-auth route takes no apikey at all.
"""
from __future__ import annotations

import dataclasses
import enum

from spine_harness.gateway.kong_config import KongConfig, Route


class Credential(str, enum.Enum):
    """What a probe presents as `apikey`; the value is how test ids name it."""

    NONE = "no_apikey"
    UNKNOWN = "unknown_apikey"
    ANON = "anon_key"
    SERVICE = "service_key"

    @property
    def consumer(self) -> str | None:
        """The kong.yml consumer this key belongs to (kong.KEY_VARIABLES names them)."""
        return {Credential.ANON: "anon", Credential.SERVICE: "service_role"}.get(self)


class Verdict(str, enum.Enum):
    PASS = "let through"
    UNAUTHORIZED = "401"
    FORBIDDEN = "403"


@dataclasses.dataclass(frozen=True)
class RouteCase:
    route: Route
    credential: Credential
    expected: Verdict
    case_name: str

    @property
    def id(self) -> str:
        return f"{self.case_name}-{self.credential.value}"

    @property
    def probe_path(self) -> str:
        return self.route.path


def expected_verdict(config: KongConfig, route: Route, credential: Credential) -> Verdict:
    if route.is_open:
        return Verdict.PASS
    if route.basic_auth or credential.consumer is None:
        # An apikey is no basic-auth credential; no key or an unknown one is no consumer.
        return Verdict.UNAUTHORIZED
    groups = config.consumer_groups.get(credential.consumer, ())
    return Verdict.PASS if any(route.admits_group(g) for g in groups) else Verdict.FORBIDDEN


def cases(config: KongConfig) -> list[RouteCase]:
    """Every route x every credential. A route whose own path another route captures (a longer
    prefix) cannot be probed at its path and is refused here rather than silently misjudged."""
    names = [r.name for r in config.routes]
    out = []
    for route in config.routes:
        if config.route_for(route.path) is not route:
            raise ValueError(f"kong.yml route {route.name} ({route.path}) is shadowed by "
                             f"{config.route_for(route.path).name}: it cannot be probed at its own path")
        case_name = route.name if names.count(route.name) == 1 else f"{route.name}{route.path}"
        out.extend(RouteCase(route, c, expected_verdict(config, route, c), case_name) for c in Credential)
    return out
