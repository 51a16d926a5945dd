"""The target model: capabilities and endpoints, serialisable so that another process (a
canary run, `locust`, a person's shell) can attach to servers this process started."""
from __future__ import annotations

import dataclasses
import enum
import json
import os
from pathlib import Path

import psycopg

from spine_harness.paths import STACK_DIR


class TargetUnavailable(RuntimeError):
    """The selected target cannot be used; the message is one line saying why and what to do."""


class Capability(str, enum.Enum):
    """What a suite may need. Each member's value is how it is named in skip messages."""

    DATABASE = "database"
    POOLER = "pooler"
    GATEWAY = "gateway"
    EDGE = "edge"
    FIREWALL_HOST = "firewall host"
    SCRATCH_DATABASES = "scratch databases"

    @property
    def provided_by(self) -> str:
        """Which targets have this capability, for the one-line skip reason."""
        return {
            Capability.DATABASE: "local, compose and remote",
            Capability.POOLER: "local (PgBouncer), compose and remote (Supavisor)",
            Capability.GATEWAY: "compose and remote (Kong)",
            Capability.EDGE: "local (Debian nginx) and remote",
            Capability.FIREWALL_HOST: "local as root with `ip netns`",
            Capability.SCRATCH_DATABASES: "local",
        }[self]


@dataclasses.dataclass(frozen=True)
class Target:
    """A started target. DSNs carry passwords: never print a Target or its DSNs."""

    name: str
    capabilities: frozenset[Capability]
    # Capabilities the target knows it lacks, with the reason; the gate's strict mode accepts
    # only these as skips.
    lacks: dict[Capability, str] = dataclasses.field(default_factory=dict)
    direct_dsn: str | None = None          # a privileged login straight to Postgres
    pooler_dsn: str | None = None          # the same login through the transaction pooler
    api_dsn: str | None = None             # `authenticator` through the pooler, as PostgREST logs in
    pooler_admin_dsn: str | None = None    # the pooler's console, where it has one
    gateway_url: str | None = None
    edge_url: str | None = None
    jwt_secret: str | None = None
    anon_key: str | None = None
    service_role_key: str | None = None
    stack_dir: Path = STACK_DIR
    writable: bool = False                 # may the suites write (their own marked rows only)?
    label: str = ""                        # e.g. "canary:rls_off_users"

    def has(self, cap: Capability) -> bool:
        return cap in self.capabilities

    @property
    def title(self) -> str:
        return f"{self.name} ({self.label})" if self.label else self.name

    def dsn_for(self, dsn: str, **overrides) -> str:
        """The same login with other connection parameters (dbname, user, password...)."""
        return psycopg.conninfo.make_conninfo(dsn, **overrides)

    def replace(self, **changes) -> "Target":
        return dataclasses.replace(self, **changes)

    # --- attaching from another process -------------------------------------------------
    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["capabilities"] = sorted(c.value for c in self.capabilities)
        data["lacks"] = {c.value: why for c, why in self.lacks.items()}
        data["stack_dir"] = str(self.stack_dir)
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Target":
        data = json.loads(text)
        data["capabilities"] = frozenset(Capability(c) for c in data["capabilities"])
        data["lacks"] = {Capability(c): why for c, why in data.get("lacks", {}).items()}
        data["stack_dir"] = Path(data["stack_dir"])
        return cls(**data)

    def write_attach_file(self, path: Path) -> Path:
        """Write the endpoints (secrets included) readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.to_json())
        return path

    @classmethod
    def read_attach_file(cls, path: Path) -> "Target":
        try:
            return cls.from_json(Path(path).read_text())
        except FileNotFoundError:
            raise TargetUnavailable(f"attach file {path} does not exist: start a target with "
                                    "`python -m spine_harness up` first") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise TargetUnavailable(f"attach file {path} is not a target description: {exc}") from None
