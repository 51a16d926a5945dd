"""The `compose` target: the stack in stack/ itself, brought up by testcontainers' DockerCompose
with a freshly generated .env, and handed to the suites as the same endpoints the local target
gives (direct and pooled DSNs, the gateway, the keys).

Postgres is not published by the stack, so the privileged "direct" login goes through
Supavisor's session port, which holds one server connection per client as a direct login
does. Everything the stack publishes is bound to 127.0.0.1 on free ports here, never to the
host's other interfaces. Where there is no Docker engine or no Compose v2 plugin, the target
reports that as its reason and every suite that needs a server skips with it.
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import psycopg

from spine_harness.advisors import cli as advisors_cli
from spine_harness.config.settings import Settings
from spine_harness.deployment import deployment_env
from spine_harness.deployment.compose import COMPOSE_FILE
from spine_harness.deployment.envfile import parse_env
from spine_harness.servers.process import free_port
from spine_harness.targets.kind import TargetKind
from spine_harness.targets.model import Capability, Target, TargetUnavailable

HOST = "127.0.0.1"
CAPABILITIES = frozenset({Capability.DATABASE, Capability.POOLER, Capability.GATEWAY})
COMPOSE_LACKS = {
    Capability.EDGE: "the compose stack has no nginx (it runs on the host); run the edge suite on local or remote",
    Capability.FIREWALL_HOST: "the compose target does not build namespaced hosts; the firewall suite runs on local",
    Capability.SCRATCH_DATABASES: "the compose target has one database; canaries clone databases on local",
    Capability.RESTARTABLE_SERVERS: "the pooler's fault test restarts Postgres under PgBouncer; it runs on local",
}
PUBLISHED_PORT_VARIABLES = ("KONG_HTTP_PORT", "KONG_HTTPS_PORT", "POOLER_PROXY_PORT_SESSION",
                            "POOLER_PROXY_PORT_TRANSACTION")


@cache
def unavailable_reason() -> str | None:
    """Why testcontainers' DockerCompose cannot run here, in one line, or None if it can."""
    if not shutil.which("docker"):
        return "no `docker` command (install Docker Engine with the Compose v2 plugin)"
    try:
        import docker   # the Docker SDK, a dependency of testcontainers
    except ImportError:
        return "testcontainers is not installed (pip install 'spine-harness[compose]')"
    reasons = []
    try:
        docker.from_env(timeout=3).ping()
    except docker.errors.DockerException as exc:
        reasons.append(f"no Docker engine is reachable ({type(exc).__name__})")
    try:
        version = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=15)
        if version.returncode != 0:
            reasons.append("no Compose v2 plugin (`docker compose version` fails)")
    except (OSError, subprocess.TimeoutExpired) as exc:
        reasons.append(f"`docker compose version` did not run ({type(exc).__name__})")
    return "; ".join(reasons) or None


def compose_env_overrides() -> dict[str, str]:
    """What the test stack changes in a production .env: loopback only, on free ports."""
    return {"POOLER_PUBLISH_ADDRESS": HOST} | {name: str(free_port(HOST)) for name in PUBLISHED_PORT_VARIABLES}


def with_advisors(caps: frozenset[Capability]) -> frozenset[Capability]:
    """The advisors run wherever the pinned Supabase CLI is installed on this machine."""
    return caps | {Capability.ADVISORS} if advisors_cli.unavailable_reason() is None else caps


def target_from_env(env: dict[str, str], host: str = HOST) -> Target:
    """The endpoints of a stack started with this .env, as every suite expects them."""
    def dsn(user: str, port_variable: str) -> str:
        return psycopg.conninfo.make_conninfo(
            host=host, port=env[port_variable], dbname=env["POSTGRES_DB"], user=f"{user}.{env['POOLER_TENANT_ID']}",
            password=env["POSTGRES_PASSWORD"], connect_timeout=10)
    return Target(
        name="compose",
        capabilities=with_advisors(CAPABILITIES),
        lacks=dict(COMPOSE_LACKS),
        direct_dsn=dsn("postgres", "POOLER_PROXY_PORT_SESSION"),
        pooler_dsn=dsn("postgres", "POOLER_PROXY_PORT_TRANSACTION"),
        api_dsn=dsn("authenticator", "POOLER_PROXY_PORT_TRANSACTION"),
        gateway_url=f"http://{host}:{env['KONG_HTTP_PORT']}",
        jwt_secret=env["JWT_SECRET"],
        anon_key=env["ANON_KEY"],
        service_role_key=env["SERVICE_ROLE_KEY"],
        jwt_keys=env.get("JWT_KEYS") or None,
        publishable_key=env.get("SUPABASE_PUBLISHABLE_KEY") or None,
        secret_key=env.get("SUPABASE_SECRET_KEY") or None,
        dashboard_username=env.get("DASHBOARD_USERNAME") or None,
        dashboard_password=env.get("DASHBOARD_PASSWORD") or None,
        writable=True,           # a throwaway stack: its volumes go with it
    )


class ComposeSpine(TargetKind):
    """The stack started with its own .env, ready when every healthcheck passes; stopping
    removes the containers, the volumes and the .env. Where Docker cannot run it, it has no
    capabilities and every suite skips with the reason."""

    name = "compose"

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self.stack_dir = Path(self.settings.stack_dir)
        self.workdir: Path | None = None
        self.compose = None

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset() if unavailable_reason() else with_advisors(CAPABILITIES)

    @property
    def lacks(self) -> dict[Capability, str]:
        return {} if unavailable_reason() else dict(COMPOSE_LACKS)

    def missing_reason(self, cap: Capability) -> str:
        if (why := unavailable_reason()) is not None:
            return f"target 'compose' is unavailable: {why}"
        return super().missing_reason(cap)

    def start(self) -> Target:
        from testcontainers.compose import DockerCompose
        self.workdir = Path(tempfile.mkdtemp(prefix="spine-compose-"))
        env_file = self.workdir / ".env"
        deployment_env.write(env_file, deployment_env.generate(self.stack_dir, compose_env_overrides()))
        self.compose = DockerCompose(context=str(self.stack_dir), compose_file_name=COMPOSE_FILE,
                                     env_file=str(env_file), pull=True, wait=True)
        try:
            self.compose.start()
        except BaseException:
            self.stop()
            raise
        return target_from_env(parse_env(env_file.read_text()))

    def stop(self) -> None:
        if self.compose is not None:
            with contextlib.suppress(Exception):
                self.compose.stop(down=True)
            self.compose = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    @contextlib.contextmanager
    def started(self) -> Iterator[Target]:
        if (why := unavailable_reason()) is not None:
            raise TargetUnavailable(f"target 'compose' is unavailable: {why}")
        try:
            yield self.start()
        finally:
            self.stop()
