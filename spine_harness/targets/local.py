"""The `local` target: a real Spine on this machine from Debian's packages, no Docker.

PostgreSQL 15 runs the stack's postgresql.conf and pg_hba.conf; the compatibility bootstrap
and the project's SQL build the schemas in a template database (`spine_template`) from which
the working database `spine` and every canary's scratch database are cloned in milliseconds;
PgBouncer, pooling as the stack says Supavisor pools (transaction mode, its pool size and
client limit), stands in for Supavisor's 6543.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import psycopg
from psycopg import sql

from spine_harness.advisors import cli as advisors_cli
from spine_harness.database import schema_files as spine_sql
from spine_harness.deployment import service_env
from spine_harness.keys import asymmetric, tokens
from spine_harness.config.paths import STACK_DIR
from spine_harness.deployment.architecture import SERVICES
from spine_harness.servers import cgroup as cgroups
from spine_harness.servers.pgbouncer import LocalPgBouncer, settings_from_supavisor
from spine_harness.servers.postgres import STACK_POSTGRESQL_CONF, LocalPostgres
from spine_harness.servers.process import server_user, sweep_stale_workdirs
from spine_harness.config.settings import Settings
from spine_harness.targets.kind import TargetKind
from spine_harness.targets.model import Capability, Target

TEMPLATE_DB = "spine_template"
WORKING_DB = "spine"
LOCAL_LACKS = {
    Capability.GATEWAY: "the local target runs no Kong (no container registry here); "
                        "run with TARGET=compose on a Docker host, or TARGET=remote",
}


@functools.cache
def firewall_host_reason() -> str | None:
    """Why this machine cannot build namespaced test networks, or None if it can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    for tool in ("ip", "iptables", "ip6tables"):
        if not shutil.which(tool):
            return f"`{tool}` is not installed (run `make setup`)"
    return None


@functools.cache
def local_capabilities() -> frozenset[Capability]:
    """What the local target has on this machine: its own servers always; the edge where nginx
    is installed; the firewall host where namespaces can be built. The machine does not change
    during a run, and the plugin asks once per test."""
    caps = {Capability.DATABASE, Capability.POOLER, Capability.SCRATCH_DATABASES, Capability.RESTARTABLE_SERVERS}
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        caps.add(Capability.EDGE)
    if firewall_host_reason() is None:
        caps.add(Capability.FIREWALL_HOST)
    if advisors_cli.unavailable_reason() is None:
        caps.add(Capability.ADVISORS)
    return frozenset(caps)


def pooler_settings(stack_dir: Path = STACK_DIR) -> dict:
    """The local PgBouncer's pool settings, from the stack's Supavisor (POOLER_POOL_MODE,
    POOLER_DEFAULT_POOL_SIZE, POOLER_MAX_CLIENT_CONN), never from constants here."""
    env = service_env.service_environment(stack_dir, "supavisor")
    return settings_from_supavisor(env, str(Path(stack_dir) / "docker-compose.yml"))


# The architecture's services the local servers stand in for: Postgres is `db`, PgBouncer `supavisor`.
LIMITED_SERVICES = ("db", "supavisor")


def architecture_limits() -> dict[str, float]:
    """The compose memory limits of the services the local servers stand in for (MiB)."""
    return {name: SERVICES[name].limit_mib for name in LIMITED_SERVICES}


class LocalSpine(TargetKind):
    """Start, hand out a Target, stop. Use `started()` or the instance as a context manager, so
    stop always runs. `pooler_extra` sets PgBouncer settings beyond the stack's (a fault test
    copies the target's recovery settings into a private pair).

    `memory_limits` runs Postgres and PgBouncer each in a memory cgroup, as their containers
    run: True for the architecture's limits (db 8 GiB, supavisor 2 GiB), a mapping
    {"db": MiB, "supavisor": MiB} for others (the tests' small ones), None for the settings'
    choice (`--spine-memory-limits`). Where the machine has no writable memory controller the
    run says so in one line and goes on without limits."""

    name = "local"

    def __init__(self, settings: Settings | None = None, postgres_conf: Path | None = STACK_POSTGRESQL_CONF,
                 pooler_extra: dict[str, str] | None = None, label: str = "",
                 memory_limits: bool | Mapping[str, float] | None = None) -> None:
        super().__init__(settings)
        self.postgres_conf = postgres_conf
        self.pooler_extra = dict(pooler_extra or {})
        self.label = label
        if memory_limits is None:
            memory_limits = self.settings.memory_limits
        self.memory_limits: dict[str, float] = (
            architecture_limits() if memory_limits is True else dict(memory_limits or {}))
        self.cgroups: dict[str, cgroups.MemoryCgroup] = {}
        self.memory_limits_note: str | None = None
        self.password = secrets.token_urlsafe(24)
        # A fresh secret per run, as generate-secrets.sh makes one per deployment: the token-
        # hygiene and JWT-to-role suites judge the local target like any other.
        self.jwt_secret = secrets.token_urlsafe(48)
        self.anon_key = tokens.mint_api_key(self.jwt_secret, "anon")
        self.service_role_key = tokens.mint_api_key(self.jwt_secret, "service_role")
        # The key model the settings choose; asymmetric mints its own EC key and JWKS per run.
        self.key_values = asymmetric.key_variables(self.settings.key_model, self.jwt_secret)
        self.postgres: LocalPostgres | None = None
        self.pgbouncer: LocalPgBouncer | None = None
        self.startup_seconds: float | None = None

    def start(self) -> Target:
        t0 = time.perf_counter()
        sweep_stale_workdirs()
        cgroups.sweep_stale()
        try:
            self._create_cgroups()
            self.postgres = LocalPostgres(self.password, conf=self.postgres_conf,
                                          cgroup=self.cgroups.get("db")).start()
            self._build_databases()
            self.pgbouncer = self.start_pooler(label=f"pgbouncer-{self.label}" if self.label else "pgbouncer")
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - t0
        return self.target()

    def start_pooler(self, stack_dir: Path | None = None, label: str = "pgbouncer") -> LocalPgBouncer:
        """A PgBouncer in front of this Postgres that pools as `stack_dir` (default: the stack under
        test) says Supavisor pools. The caller stops it (start() keeps its own in self.pgbouncer)."""
        return LocalPgBouncer(
            self.postgres.host, self.postgres.port,
            {"postgres": self.password, "authenticator": self.password},
            **pooler_settings(stack_dir or self.settings.stack_dir), label=label, extra=self.pooler_extra,
            cgroup=self.cgroups.get("supavisor"),
        ).start()

    def _create_cgroups(self) -> None:
        if not self.memory_limits:
            return
        if (why := cgroups.unavailable_reason()):
            self.memory_limits_note = f"memory limits: {why}; the local servers run without them"
            print(self.memory_limits_note, file=sys.stderr, flush=True)
            return
        for service, limit in self.memory_limits.items():
            label = f"{self.label}-{service}" if self.label else service
            self.cgroups[service] = cgroups.MemoryCgroup(label).create(limit, owner=server_user())

    def memory_accounting(self) -> dict[str, cgroups.MemoryAccounting]:
        """Each limited service's cgroup figures now (empty when the servers run unlimited)."""
        return {service: group.accounting() for service, group in self.cgroups.items() if group.path}

    def _build_databases(self) -> None:
        with psycopg.connect(self.postgres.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(TEMPLATE_DB)))
            conn.execute("alter database spine_template with allow_connections true is_template true")
        with psycopg.connect(self.postgres.dsn(dbname=TEMPLATE_DB), autocommit=True) as conn:
            spine_sql.apply_files(conn, spine_sql.local_bootstrap_files() + spine_sql.project_sql_files())
            spine_sql.set_login_passwords(conn, self.password)
            # PostgREST's exposed schemas, as the stack configures them (PGRST_DB_SCHEMAS).
            conn.execute(sql.SQL("alter role authenticator set pgrst.db_schemas = {}").format(
                sql.Literal(", ".join(service_env.api_schemas(self.settings.stack_dir)))))
        self.clone_database(WORKING_DB)

    def clone_database(self, name: str) -> None:
        """A fresh copy of the schemas, as the SQL files left them."""
        with psycopg.connect(self.postgres.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE_DB)))

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.postgres.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))

    def target(self, dbname: str = WORKING_DB, label: str = "") -> Target:
        pg, pb = self.postgres, self.pgbouncer
        return Target(
            name="local",
            capabilities=local_capabilities(),
            lacks=dict(LOCAL_LACKS),
            direct_dsn=pg.dsn(dbname=dbname),
            pooler_dsn=pb.dsn("postgres", dbname),
            api_dsn=pb.dsn("authenticator", dbname),
            pooler_admin_dsn=pb.admin_dsn(),
            jwt_secret=self.jwt_secret,
            anon_key=self.anon_key,
            service_role_key=self.service_role_key,
            jwt_keys=self.key_values["JWT_KEYS"],
            jwks=json.dumps(asymmetric.published_jwks(json.loads(self.key_values["JWT_KEYS"]))),
            publishable_key=self.key_values["SUPABASE_PUBLISHABLE_KEY"],
            secret_key=self.key_values["SUPABASE_SECRET_KEY"],
            writable=True,
            label=label,
        )

    @contextlib.contextmanager
    def scratch(self, name: str, label: str = "") -> Iterator[Target]:
        """A throwaway database cloned from the template, removed afterwards."""
        self.clone_database(name)
        try:
            yield self.target(dbname=name, label=label)
        finally:
            self.drop_database(name)

    def stop(self) -> None:
        try:
            for server in (self.pgbouncer, self.postgres):
                if server is not None:
                    server.stop()
        finally:
            for group in self.cgroups.values():
                group.remove()

    # --- as a target kind ---------------------------------------------------------------------
    @property
    def capabilities(self) -> frozenset[Capability]:
        return local_capabilities()

    @property
    def lacks(self) -> dict[Capability, str]:
        return dict(LOCAL_LACKS)

    def missing_reason(self, cap: Capability) -> str:
        if cap is Capability.FIREWALL_HOST and (why := firewall_host_reason()):
            return f"target 'local' lacks the firewall host ({why}); it runs on {cap.provided_by}"
        return super().missing_reason(cap)

    @contextlib.contextmanager
    def started(self) -> Iterator[Target]:
        with self as target:
            yield target

    def __enter__(self) -> Target:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def tools_missing() -> list[str]:
    """Binaries the local target needs that this machine lacks."""
    needed = {"postgres (postgresql-15)": "/usr/lib/postgresql/15/bin/postgres",
              "pgbouncer": "/usr/sbin/pgbouncer"}
    return [name for name, path in needed.items() if not shutil.which(path)]
