"""The target model: capabilities, endpoints handed out as small facades, and the attach file by
which another process (a canary run, `locust`, a person's shell) uses servers this one started.

A Target carries passwords and keys. Its repr and str name the endpoints with every secret
masked, so printing one (a failing assertion, a log line, a traceback's locals) leaks nothing.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import os
from pathlib import Path

import psycopg


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
    # Servers of the suite's own that it may stop and restart (the pooler's fault test).
    RESTARTABLE_SERVERS = "restartable servers"
    # The pinned Supabase CLI on this machine, to run Supabase's own advisors against the database.
    ADVISORS = "supabase advisors"

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
            Capability.RESTARTABLE_SERVERS: "local",
            Capability.ADVISORS: "local, compose and remote where the pinned Supabase CLI is installed (`make setup`)",
        }[self]


def masked_dsn(dsn: str | None) -> str:
    """`user@host:port/dbname`, without the password: how a DSN may be shown."""
    if not dsn:
        return "-"
    try:
        p = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparsable DSN>"
    return f"{p.get('user', '?')}@{p.get('host', '?')}:{p.get('port', 5432)}/{p.get('dbname', '?')}"


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    # Deferred so the model stays importable without a database driver's state.
    from spine_harness.database.connections import connect as _connect
    return _connect(dsn, **kwargs)


@dataclasses.dataclass(frozen=True, repr=False)
class Database:
    """The privileged login straight to Postgres."""

    dsn: str

    def connect(self, **kwargs) -> psycopg.Connection:
        return connect(self.dsn, **kwargs)

    def __repr__(self) -> str:
        return f"Database({masked_dsn(self.dsn)})"


@dataclasses.dataclass(frozen=True, repr=False)
class Pooler:
    """The transaction pooler: the privileged login, `authenticator` as PostgREST logs in, and
    the pooler's console where it has one."""

    dsn: str
    api_dsn: str
    admin_dsn: str | None = None

    def connect(self, **kwargs) -> psycopg.Connection:
        return connect(self.dsn, **kwargs)

    def connect_api(self, **kwargs) -> psycopg.Connection:
        return connect(self.api_dsn, **kwargs)

    def __repr__(self) -> str:
        return f"Pooler({masked_dsn(self.dsn)}, api {masked_dsn(self.api_dsn)})"


@dataclasses.dataclass(frozen=True, repr=False)
class GatewayEndpoint:
    url: str
    anon_key: str
    service_role_key: str

    def __repr__(self) -> str:
        return f"GatewayEndpoint({self.url})"


@dataclasses.dataclass(frozen=True, repr=False)
class Keys:
    """What signs and opens the deployment's tokens."""

    jwt_secret: str | None
    anon_key: str | None
    service_role_key: str | None

    def __repr__(self) -> str:
        return "Keys(****)"


_SECRET_FIELDS = ("direct_dsn", "pooler_dsn", "api_dsn", "pooler_admin_dsn", "jwt_secret", "anon_key",
                  "service_role_key", "jwt_keys", "publishable_key", "secret_key", "dashboard_password")


@dataclasses.dataclass(frozen=True, repr=False)
class Target:
    """A started target. Hand it to suites through its facades (`database`, `pooler`,
    `gateway_endpoint`, `edge_url`, `keys`); the flat fields are what the attach file holds."""

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
    # The asymmetric key model (spine_harness.keys.asymmetric): GoTrue's signing keys as the JSON
    # array GOTRUE_JWT_KEYS holds, the JWKS GoTrue publishes, and the opaque API keys.
    jwt_keys: str | None = None
    jwks: str | None = None
    publishable_key: str | None = None
    secret_key: str | None = None
    dashboard_username: str | None = None   # Studio's basic-auth at the gateway
    dashboard_password: str | None = None
    writable: bool = False                 # may the suites write (their own marked rows only)?
    label: str = ""                        # e.g. "canary:rls_off_users"

    def has(self, cap: Capability) -> bool:
        return cap in self.capabilities

    @property
    def title(self) -> str:
        return f"{self.name} ({self.label})" if self.label else self.name

    # --- facades ------------------------------------------------------------------------------
    @property
    def database(self) -> Database | None:
        return Database(self.direct_dsn) if self.direct_dsn else None

    @property
    def pooler(self) -> Pooler | None:
        if not (self.pooler_dsn and self.api_dsn):
            return None
        return Pooler(self.pooler_dsn, self.api_dsn, self.pooler_admin_dsn)

    @property
    def gateway_endpoint(self) -> GatewayEndpoint | None:
        if not (self.gateway_url and self.anon_key and self.service_role_key):
            return None
        return GatewayEndpoint(self.gateway_url, self.anon_key, self.service_role_key)

    @property
    def keys(self) -> Keys:
        return Keys(self.jwt_secret, self.anon_key, self.service_role_key)

    def secret_values(self) -> list[str]:
        """Every value this target holds that grants access (for the output mask)."""
        return [v for f in _SECRET_FIELDS if (v := getattr(self, f))]

    def dsn_for(self, dsn: str, **overrides) -> str:
        """The same login with other connection parameters (dbname, user, password...)."""
        return psycopg.conninfo.make_conninfo(dsn, **overrides)

    def replace(self, **changes) -> "Target":
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        caps = ", ".join(sorted(c.value for c in self.capabilities))
        ends = [f"direct={masked_dsn(self.direct_dsn)}" if self.direct_dsn else "",
                f"pooler={masked_dsn(self.pooler_dsn)}" if self.pooler_dsn else "",
                f"gateway={self.gateway_url}" if self.gateway_url else "",
                f"edge={self.edge_url}" if self.edge_url else ""]
        return f"Target({self.title!r}, [{caps}], {' '.join(e for e in ends if e)})"

    __str__ = __repr__

    # --- attaching from another process -------------------------------------------------
    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["capabilities"] = sorted(c.value for c in self.capabilities)
        data["lacks"] = {c.value: why for c, why in self.lacks.items()}
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str, source: str = "attach file") -> "Target":
        """Read a target description; anything malformed is one TargetUnavailable line."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TargetUnavailable(f"{source} is not JSON ({exc.args[0].split(':')[0]})") from None
        if not isinstance(data, dict):
            raise TargetUnavailable(f"{source} holds a JSON {type(data).__name__}, not a target description object")
        known = {f.name for f in dataclasses.fields(cls)}
        missing = [k for k in ("name", "capabilities") if k not in data]
        if missing:
            raise TargetUnavailable(f"{source} lacks {', '.join(missing)}: write it with "
                                    "`python -m spine_harness up`")
        unknown = sorted(set(data) - known - {"stack_dir"})
        if unknown:
            raise TargetUnavailable(f"{source} has unknown keys: {', '.join(unknown)}")
        data.pop("stack_dir", None)        # written by older versions; the stack comes from settings
        caps, lacks = data["capabilities"], data.get("lacks", {})
        if not isinstance(caps, list) or not isinstance(lacks, dict):
            raise TargetUnavailable(f"{source}: capabilities must be a list and lacks an object")
        try:
            data["capabilities"] = frozenset(Capability(c) for c in caps)
            data["lacks"] = {Capability(c): str(why) for c, why in lacks.items()}
        except ValueError as exc:
            known_caps = ", ".join(c.value for c in Capability)
            raise TargetUnavailable(f"{source}: {exc.args[0]} (known: {known_caps})") from None
        for key in _SECRET_FIELDS + ("name", "gateway_url", "edge_url", "label", "jwks", "dashboard_username"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise TargetUnavailable(f"{source}: {key} must be a string")
        return cls(**data)

    def write_attach_file(self, path: Path) -> Path:
        """Write the endpoints (secrets included) readable by the owner only."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.to_json())
        return path

    @classmethod
    def read_attach_file(cls, path: Path) -> "Target":
        try:
            text = Path(path).read_text()
        except FileNotFoundError:
            raise TargetUnavailable(f"attach file {path} does not exist: start a target with "
                                    "`python -m spine_harness up` first") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TargetUnavailable(f"attach file {path} cannot be read ({type(exc).__name__})") from None
        return cls.from_json(text, f"attach file {path}")
