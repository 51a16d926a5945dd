"""The gateway's routes, whichever gateway a stack ships: who may pass each route (an API key of
which consumer group, basic-auth, nobody, everybody), read from Kong's kong.yml
(spine_harness.gateway.kong_config) or from Envoy's route configuration
(spine_harness.gateway.envoy_config). The route cases and the live checks use this table only,
so the same suites judge either gateway.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

# Neutral names of what guards a route (Kong's plugin names, which Envoy's filters map onto).
KEY_AUTH, ACL, BASIC_AUTH, TERMINATED = "key-auth", "acl", "basic-auth", "request-termination"


@dataclasses.dataclass(frozen=True)
class Route:
    service: str
    name: str
    path: str
    upstream: str
    plugins: frozenset[str]
    acl_allow: tuple[str, ...]
    exact: bool = False          # matches the path itself only (Envoy `path:`), not as a prefix

    @property
    def key_auth(self) -> bool:
        return KEY_AUTH in self.plugins

    @property
    def basic_auth(self) -> bool:
        return BASIC_AUTH in self.plugins

    @property
    def terminated(self) -> bool:
        """Answered 403 by the gateway itself, whatever the credential."""
        return TERMINATED in self.plugins

    @property
    def is_open(self) -> bool:
        return not (self.key_auth or self.basic_auth or self.terminated)

    def admits_group(self, group: str) -> bool:
        """With key-auth, may a consumer of this ACL group pass? (No ACL: any consumer.)"""
        return ACL not in self.plugins or group in self.acl_allow

    def matches(self, path: str) -> bool:
        return path == self.path if self.exact else path.startswith(self.path)


@dataclasses.dataclass(frozen=True)
class RouteTable:
    routes: tuple[Route, ...]
    consumer_groups: dict[str, tuple[str, ...]]   # consumer -> groups
    consumer_keys: dict[str, tuple[str, ...]]     # consumer -> its keys (variable references until rendered)
    raw: dict
    gateway: str = "kong"                         # which file it was read from, for messages
    source: str = "kong.yml"

    def route_for(self, path: str) -> Route | None:
        """Exact matches first, then the longest matching prefix (Kong's and Envoy's tables as
        the Spine writes them: no two routes of one prefix length overlap)."""
        exact = [r for r in self.routes if r.exact and r.matches(path)]
        if exact:
            return exact[0]
        candidates = [r for r in self.routes if not r.exact and r.matches(path)]
        return max(candidates, key=lambda r: len(r.path), default=None)


@dataclasses.dataclass(frozen=True)
class Reader:
    """One gateway's configuration: where a stack keeps it, and how it becomes a RouteTable."""

    gateway: str
    relative_path: str
    parse: Callable[[str], RouteTable]

    def path(self, stack_dir: Path) -> Path:
        return Path(stack_dir) / self.relative_path


def readers() -> tuple[Reader, ...]:
    from spine_harness.gateway import envoy_config, kong_config
    return (Reader("kong", kong_config.RELATIVE_PATH, kong_config.parse),
            Reader("envoy", envoy_config.RELATIVE_PATH, envoy_config.parse))


def reader_for(stack_dir: Path) -> Reader:
    """Kong's kong.yml where the stack ships one (the Spine's architecture), else Envoy's."""
    for reader in readers():
        if reader.path(stack_dir).exists():
            return reader
    raise FileNotFoundError(f"{stack_dir} has no gateway configuration: expected "
                            + " or ".join(r.relative_path for r in readers()))


def load(stack_dir: Path) -> RouteTable:
    reader = reader_for(stack_dir)
    return reader.parse(reader.path(stack_dir).read_text())
