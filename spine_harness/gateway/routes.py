"""What the gateway must do on every route, generated from the gateway's own route table
(spine_harness.gateway.route_table: kong.yml, or Envoy's route configuration) so a route is
covered the day it is added: no apikey and an unknown apikey are refused with 401, each key
(legacy JWT or opaque) passes only where its consumer's group is allowed (else 403), open routes
are open, a basic-auth route takes no apikey at all, and a route the gateway terminates answers
403 to everyone.
"""
from __future__ import annotations

import dataclasses
import enum

from spine_harness.gateway.route_table import Route, RouteTable


class Credential(str, enum.Enum):
    """What a probe presents as `apikey`; the value is how test ids name it."""

    NONE = "no_apikey"
    UNKNOWN = "unknown_apikey"
    ANON = "anon_key"
    SERVICE = "service_key"
    PUBLISHABLE = "publishable_key"
    SECRET = "secret_key"

    @property
    def consumer(self) -> str | None:
        """The consumer this key belongs to (kong.KEY_VARIABLES names them)."""
        return {Credential.ANON: "anon", Credential.SERVICE: "service_role",
                Credential.PUBLISHABLE: "anon", Credential.SECRET: "service_role"}.get(self)

    @property
    def opaque(self) -> bool:
        return self in (Credential.PUBLISHABLE, Credential.SECRET)


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


def expected_verdict(config: RouteTable, route: Route, credential: Credential) -> Verdict:
    if route.terminated:
        return Verdict.FORBIDDEN
    if route.is_open:
        return Verdict.PASS
    if route.basic_auth or credential.consumer is None:
        # An apikey is no basic-auth credential; no key or an unknown one is no consumer.
        return Verdict.UNAUTHORIZED
    groups = config.consumer_groups.get(credential.consumer, ())
    return Verdict.PASS if any(route.admits_group(g) for g in groups) else Verdict.FORBIDDEN


def cases(config: RouteTable, *, opaque: bool = True) -> list[RouteCase]:
    """Every route x every credential. A route whose own path another route captures (a longer
    prefix) cannot be probed at its path and is refused here rather than silently misjudged."""
    names = [r.name for r in config.routes]
    out = []
    for route in config.routes:
        if config.route_for(route.path) is not route:
            raise ValueError(f"{config.source} route {route.name} ({route.path}) is shadowed by "
                             f"{config.route_for(route.path).name}: it cannot be probed at its own path")
        case_name = route.name if names.count(route.name) == 1 else f"{route.name}{route.path}"
        out.extend(RouteCase(route, c, expected_verdict(config, route, c), case_name) for c in Credential
                   if opaque or not c.opaque)
    return out
