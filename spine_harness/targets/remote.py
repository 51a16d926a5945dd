"""The `remote` target: an existing deployment, given by environment variables.

Which capabilities it has follows from which endpoints are given; the others are declared
lacks naming the variable to set, so strict mode (the gate) accepts their skips. Remote runs
are read-only unless SPINE_ALLOW_WRITES=1, and even then the suites write only their own
marked rows and remove them.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from urllib.parse import urlsplit

import psycopg

from spine_harness.advisors import cli as advisors_cli
from spine_harness.config.settings import REMOTE_VARIABLES, Settings
from spine_harness.targets.kind import ExistingTarget
from spine_harness.targets.model import Capability, Target, TargetUnavailable


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    kind: str = "text"       # "dsn", "url" or "text": how it is checked (never echoed)


DB_URL = Variable("SPINE_DB_URL", "privileged login straight to Postgres, or through Supavisor's session port", "dsn")
POOLER_URL = Variable("SPINE_POOLER_URL", "the same login through Supavisor's transaction port (6543)", "dsn")
API_DB_URL = Variable("SPINE_API_DB_URL", "`authenticator` through the transaction port, as PostgREST logs in", "dsn")
GATEWAY_URL = Variable("SPINE_GATEWAY_URL", "Kong's base URL, e.g. http://127.0.0.1:8000 over an SSH tunnel", "url")
EDGE_URL = Variable("SPINE_EDGE_URL", "the public HTTPS base URL nginx serves, e.g. https://supabase.gerege.mn", "url")
JWT_SECRET = Variable("SPINE_JWT_SECRET", "the deployment's JWT_SECRET (suites that mint user tokens need it)")
ANON_KEY = Variable("SPINE_ANON_KEY", "the deployment's ANON_KEY")
SERVICE_ROLE_KEY = Variable("SPINE_SERVICE_ROLE_KEY", "the deployment's SERVICE_ROLE_KEY")
PUBLISHABLE_KEY = Variable("SPINE_PUBLISHABLE_KEY", "the deployment's opaque SUPABASE_PUBLISHABLE_KEY (sb_publishable_...)")
SECRET_KEY = Variable("SPINE_SECRET_KEY", "the deployment's opaque SUPABASE_SECRET_KEY (sb_secret_...)")
VARIABLES = (DB_URL, POOLER_URL, API_DB_URL, GATEWAY_URL, EDGE_URL, JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY,
             PUBLISHABLE_KEY, SECRET_KEY)
assert tuple(v.name for v in VARIABLES) == REMOTE_VARIABLES

REQUIRED = (DB_URL,)
# A capability, and the variables that must all be set for the remote target to have it.
NEEDED_FOR: dict[Capability, tuple[Variable, ...]] = {
    Capability.DATABASE: (DB_URL,),
    Capability.POOLER: (POOLER_URL, API_DB_URL),
    Capability.GATEWAY: (GATEWAY_URL, ANON_KEY, SERVICE_ROLE_KEY),
    Capability.EDGE: (EDGE_URL,),
}
# A capability whose first variable is unset is lacking, even if others of its variables are
# given: the API keys are judged by the token-hygiene suite without a gateway URL.
ANCHORED = {Capability.GATEWAY}
NEVER = {
    Capability.FIREWALL_HOST: "the firewall suite builds namespaced hosts and runs on local only",
    Capability.SCRATCH_DATABASES: "a deployment's database is never cloned or dropped; canaries run on local",
    Capability.RESTARTABLE_SERVERS: "a deployment's servers are never restarted by the harness; the pooler's "
                                    "fault test runs on local",
}


def _checked(var: Variable, environ: dict[str, str]) -> str | None:
    value = environ.get(var.name) or None
    if value is None:
        return None
    if var.kind == "dsn":
        try:
            psycopg.conninfo.conninfo_to_dict(value)
        except psycopg.ProgrammingError:
            raise TargetUnavailable(f"{var.name} is not a libpq connection string or postgres:// URL") from None
    if var.kind == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetUnavailable(f"{var.name} is not an http(s):// URL with a host")
    return value


def target_from_settings(settings: Settings) -> Target:
    """Build the remote Target from the SPINE_* endpoints the settings hold, or stop with one
    line naming the variable that is wrong (never its value)."""
    environ: Mapping[str, str] = settings.remote
    for var in REQUIRED:
        if not environ.get(var.name):
            raise TargetUnavailable(f"target 'remote' needs {var.name} ({var.meaning}); "
                                    "see the README for every SPINE_* variable")
    values = {var.name: _checked(var, environ) for var in VARIABLES}
    caps, lacks = set(), dict(NEVER)
    for cap, needed in NEEDED_FOR.items():
        unset = [v.name for v in needed if not values[v.name]]
        if not unset:
            caps.add(cap)
        elif cap in ANCHORED and needed[0].name in unset:
            lacks[cap] = f"{needed[0].name} not set"
        elif len(unset) < len(needed):   # half-configured: a mistake, not a choice
            raise TargetUnavailable(f"target 'remote' has {', '.join(v.name for v in needed if values[v.name])} "
                                    f"but not {', '.join(unset)}: the {cap.value} needs all of them")
        else:
            lacks[cap] = f"{', '.join(unset)} not set"
    if Capability.DATABASE in caps and advisors_cli.unavailable_reason() is None:
        caps.add(Capability.ADVISORS)
    return Target(
        name="remote",
        capabilities=frozenset(caps),
        lacks=lacks,
        direct_dsn=values[DB_URL.name],
        pooler_dsn=values[POOLER_URL.name],
        api_dsn=values[API_DB_URL.name],
        gateway_url=values[GATEWAY_URL.name],
        edge_url=values[EDGE_URL.name],
        jwt_secret=values[JWT_SECRET.name],
        anon_key=values[ANON_KEY.name],
        service_role_key=values[SERVICE_ROLE_KEY.name],
        publishable_key=values[PUBLISHABLE_KEY.name],
        secret_key=values[SECRET_KEY.name],
        writable=settings.allow_writes,
    )


class RemoteDeployment(ExistingTarget):
    """Built once, when the run starts: a bad variable stops the run at once."""

    name = "remote"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.target = target_from_settings(settings)
