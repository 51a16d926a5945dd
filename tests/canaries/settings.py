"""Canaries for the settings policy (test_stack_settings.py): realistic settings mistakes in a
copy of stack/, a database that was altered to log what it must not, and local poolers started
from a stack that says the wrong thing (the local target takes its pool settings from the stack,
so the pooling suite itself sees the mistake)."""
from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import yaml

from spine_harness.config.paths import STACK_DIR
from spine_harness.servers.pgbouncer import LocalPgBouncer
from spine_harness.targets.local import pooler_settings
from spine_harness.targets.model import Target
from tests.canaries import Canary, CanaryEnv, register, replace_in_file, sql_canary, stack_canary

SETTINGS = "test_stack_settings.py"
POOLING = "test_pooling.py"
EXPOSURE = "test_exposure.py"
LIVE = "test_live_settings.py"


def _services(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(copy: Path) -> None:
        path = copy / "docker-compose.yml"
        data = yaml.safe_load(path.read_text())
        change(data["services"])
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return edit


def _env_example(old: str, new: str) -> Callable[[Path], None]:
    return lambda copy: replace_in_file(copy / ".env.example", old, new)


def _edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda copy: replace_in_file(copy / relative, old, new)


def _setting(service: str, name: str) -> str:
    return f"{SETTINGS}::test_environment_setting[{service}-{name}]"


def _container(service: str, key: str) -> str:
    return f"{SETTINGS}::test_container_setting[{service}-{key}]"


# --- GoTrue --------------------------------------------------------------------------------------

stack_canary(
    "gotrue_autoconfirm", "mail autoconfirm on while sign-up is open: an account for any address, unconfirmed",
    _env_example("ENABLE_EMAIL_AUTOCONFIRM=false", "ENABLE_EMAIL_AUTOCONFIRM=true"),
    (SETTINGS,), (_setting("auth", "GOTRUE_MAILER_AUTOCONFIRM"),))

stack_canary(
    "gotrue_anonymous_and_sms_autoconfirm", "anonymous sign-ins on, and phone numbers confirmed without a code",
    lambda copy: (_env_example("ENABLE_ANONYMOUS_USERS=false", "ENABLE_ANONYMOUS_USERS=true")(copy),
                  _env_example("ENABLE_PHONE_AUTOCONFIRM=false", "ENABLE_PHONE_AUTOCONFIRM=true")(copy)),
    (SETTINGS,),
    (_setting("auth", "GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED"), _setting("auth", "GOTRUE_SMS_AUTOCONFIRM")))

stack_canary(
    "gotrue_week_long_tokens_wildcard_redirect", "access tokens valid a week, and redirects allowed to any subdomain",
    lambda copy: (_env_example("JWT_EXPIRY=3600", "JWT_EXPIRY=604800")(copy),
                  _env_example("ADDITIONAL_REDIRECT_URLS=\n", "ADDITIONAL_REDIRECT_URLS=https://*.gerege.mn/**\n")(copy)),
    (SETTINGS,),
    (_setting("auth", "GOTRUE_JWT_EXP"), _setting("rest", "PGRST_APP_SETTINGS_JWT_EXP"),
     _setting("db", "JWT_EXP"), _setting("auth", "GOTRUE_URI_ALLOW_LIST")))

stack_canary(
    "gotrue_unknown_provider", "a Google provider switched on that the settings policy has never seen",
    _services(lambda s: s["auth"]["environment"].update(GOTRUE_EXTERNAL_GOOGLE_ENABLED="true")),
    (SETTINGS,), (f"{SETTINGS}::test_no_unknown_environment_setting[auth]",))

stack_canary(
    "gotrue_short_passwords", "GoTrue's minimum password length lowered to 6",
    _edit("docker-compose.yml", 'GOTRUE_PASSWORD_MIN_LENGTH: "12"', 'GOTRUE_PASSWORD_MIN_LENGTH: "6"'),
    (SETTINGS,), (_setting("auth", "GOTRUE_PASSWORD_MIN_LENGTH"),))

# --- PostgREST -----------------------------------------------------------------------------------

stack_canary(
    "postgrest_exposes_auth", "PGRST_DB_SCHEMAS gains auth (GoTrue's schema) beside the API's",
    _env_example("PGRST_DB_SCHEMAS=public,graphql_public,gesign,eid",
                 "PGRST_DB_SCHEMAS=public,graphql_public,gesign,eid,auth"),
    (SETTINGS, EXPOSURE),
    (_setting("rest", "PGRST_DB_SCHEMAS"), f"{EXPOSURE}::test_reachable_objects_are_expected[function]"))

stack_canary(
    "postgrest_max_rows_unset", "PGRST_DB_MAX_ROWS removed: one GET reads a whole table",
    _services(lambda s: s["rest"]["environment"].pop("PGRST_DB_MAX_ROWS")),
    (SETTINGS,), (_setting("rest", "PGRST_DB_MAX_ROWS"),))

stack_canary(
    "postgrest_max_rows_huge", "PGRST_DB_MAX_ROWS at a million",
    _edit("docker-compose.yml", 'PGRST_DB_MAX_ROWS: "1000"', 'PGRST_DB_MAX_ROWS: "1000000"'),
    (SETTINGS,), (_setting("rest", "PGRST_DB_MAX_ROWS"),))

stack_canary(
    "postgrest_role_from_user_metadata", "PostgREST takes the database role from user_metadata.role, and describes every table",
    _services(lambda s: s["rest"]["environment"].update(PGRST_JWT_ROLE_CLAIM_KEY=".user_metadata.role",
                                                        PGRST_OPENAPI_MODE="ignore-privileges")),
    (SETTINGS,), (_setting("rest", "PGRST_JWT_ROLE_CLAIM_KEY"), _setting("rest", "PGRST_OPENAPI_MODE")))

stack_canary(
    "postgrest_literal_password", "PostgREST's database URL carries a literal password instead of ${POSTGRES_PASSWORD}",
    _services(lambda s: s["rest"]["environment"].update(
        PGRST_DB_URI="postgres://authenticator:hunter2-but-longer@db:5432/postgres")),
    (SETTINGS,), (_setting("rest", "PGRST_DB_URI"),))

# --- Kong, Storage, the containers ----------------------------------------------------------------

stack_canary(
    "kong_admin_api_and_extra_plugin", "Kong's admin API listening, and the serverless post-function plugin loaded",
    _services(lambda s: s["kong"]["environment"].update(
        KONG_ADMIN_LISTEN="0.0.0.0:8001", KONG_PLUGINS=s["kong"]["environment"]["KONG_PLUGINS"] + ",post-function")),
    (SETTINGS,), (_setting("kong", "KONG_ADMIN_LISTEN"), _setting("kong", "KONG_PLUGINS")))

stack_canary(
    "storage_file_limit_raised", "Storage accepts 5 GB uploads into a 512 MB container",
    _edit("docker-compose.yml", 'FILE_SIZE_LIMIT: "52428800"', 'FILE_SIZE_LIMIT: "5368709120"'),
    (SETTINGS,), (_setting("storage", "FILE_SIZE_LIMIT"),))

stack_canary(
    "docker_socket_for_meta", "postgres-meta given the Docker socket, read-write",
    _services(lambda s: s["meta"].setdefault("volumes", []).append("/var/run/docker.sock:/var/run/docker.sock")),
    (SETTINGS,), (_container("meta", "docker_socket"),))

stack_canary(
    "privileged_storage", "storage runs privileged with SYS_ADMIN, and mounts the host's /etc",
    _services(lambda s: (s["storage"].update(privileged=True, cap_add=["SYS_ADMIN"]),
                         s["storage"]["volumes"].append("/etc:/host-etc:ro"))),
    (SETTINGS,),
    (_container("storage", "privileged"), _container("storage", "cap_add"), _container("storage", "host_paths")))

stack_canary(
    "realtime_host_network", "realtime on the host's network, past the firewall's DOCKER-USER rules",
    _services(lambda s: s["realtime"].update(network_mode="host", pid="host")),
    (SETTINGS,), (_container("realtime", "network_mode"), _container("realtime", "pid")))

stack_canary(
    "unknown_container_key", "the db container given a key the policy does not know (oom_kill_disable)",
    _services(lambda s: s["db"].update(oom_kill_disable=True)),
    (SETTINGS,), (f"{SETTINGS}::test_no_unknown_container_key[db]",))

stack_canary(
    "service_outside_policy", "a new edge-functions service the settings policy has never seen",
    _services(lambda s: s.update(functions={
        "image": "supabase/edge-runtime:v1.67.4", "restart": "unless-stopped",
        "environment": {"VERIFY_JWT": "false"}})),
    (SETTINGS,), (f"{SETTINGS}::test_every_service_is_in_the_policy",))

# --- Postgres' own configuration ------------------------------------------------------------------

stack_canary(
    "postgres_logging_weakened", "log_connections off and slow statements no longer logged",
    lambda copy: (_edit("volumes/db/postgresql.conf", "log_connections = on", "log_connections = off")(copy),
                  _edit("volumes/db/postgresql.conf", "log_min_duration_statement = 1000", "log_min_duration_statement = -1")(copy)),
    (SETTINGS,),
    (f"{SETTINGS}::test_postgres_setting[log_connections]", f"{SETTINGS}::test_postgres_setting[log_min_duration_statement]"))

stack_canary(
    "postgres_md5_and_no_idle_timeout", "passwords hashed with md5, and idle transactions held forever",
    lambda copy: (_edit("volumes/db/postgresql.conf", "password_encryption = scram-sha-256", "password_encryption = md5")(copy),
                  _edit("volumes/db/postgresql.conf", "idle_in_transaction_session_timeout = 5min",
                        "idle_in_transaction_session_timeout = 0")(copy)),
    (SETTINGS,),
    (f"{SETTINGS}::test_postgres_setting[password_encryption]",
     f"{SETTINGS}::test_postgres_setting[idle_in_transaction_session_timeout]"))

stack_canary(
    "postgres_log_min_messages_fatal", "the db command line sets log_min_messages=fatal, silencing every LOG line",
    _services(lambda s: s["db"]["command"].extend(["-c", "log_min_messages=fatal"])),
    (SETTINGS,), (f"{SETTINGS}::test_postgres_setting[log_min_messages]",))

stack_canary(
    "postgres_unknown_setting", "postgresql.conf gains fsync-adjacent tuning the policy has never seen",
    lambda copy: (copy / "volumes/db/postgresql.conf").write_text(
        (copy / "volumes/db/postgresql.conf").read_text() + "\ncommit_delay = 100000\n"),
    (SETTINGS,), (f"{SETTINGS}::test_no_unknown_postgres_setting",))

stack_canary(
    "pg_hba_trust_local", "pg_hba.conf trusts local socket logins",
    _edit("volumes/db/pg_hba.conf", "local   all       all                   scram-sha-256",
          "local   all       all                   trust"),
    (SETTINGS,), (f"{SETTINGS}::test_pg_hba_methods",))

sql_canary(
    "database_logs_every_statement", "the database was altered to log every statement and hash passwords with md5",
    "do $$ begin"
    " execute format('alter database %I set log_statement = %L', current_database(), 'all');"
    " execute format('alter database %I set password_encryption = %L', current_database(), 'md5');"
    " end $$",
    (LIVE,),
    (f"{LIVE}::test_postgres_reports[log_statement]", f"{LIVE}::test_postgres_reports[password_encryption]"))


# --- the local pooler, started from the stack ------------------------------------------------------

def stack_pooler_canary(name: str, breaks: str, edit: Callable[[Path], None], suites: tuple[str, ...],
                        must_fail: tuple[str, ...]) -> Canary:
    """A copy of stack/ with its pooler settings changed; the local target's own start_pooler()
    puts a PgBouncer configured from that copy in front of a scratch database."""
    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        copy = env.workdir / "stack"
        shutil.copytree(STACK_DIR, copy, symlinks=True)
        edit(copy)
        env.settings_overrides["stack_dir"] = copy
        with env.local.scratch(f"canary_{name}", label=f"canary:{name}") as target:
            dbname = psycopg.conninfo.conninfo_to_dict(target.direct_dsn)["dbname"]
            pooler = env.local.start_pooler(copy, label="pgbouncer-canary")
            try:
                yield target.replace(pooler_dsn=pooler.dsn("postgres", dbname),
                                     api_dsn=pooler.dsn("authenticator", dbname), pooler_admin_dsn=pooler.admin_dsn())
            finally:
                pooler.stop()
    return register(Canary(name, breaks, suites, must_fail, broken))


stack_pooler_canary(
    "stack_says_session_mode", "the stack's Supavisor is set to session mode (the local pooler follows it)",
    _edit("docker-compose.yml", "POOLER_POOL_MODE: transaction", "POOLER_POOL_MODE: session"),
    (SETTINGS, LIVE, POOLING),
    (_setting("supavisor", "POOLER_POOL_MODE"), f"{LIVE}::test_pooler_reports[supavisor-POOLER_POOL_MODE]",
     f"{POOLING}::test_transaction_local_state_does_not_leak[*]"))

stack_pooler_canary(
    "stack_pool_too_large", "the stack's pool is 250 server connections, more than max_connections (200) allows",
    _env_example("POOLER_DEFAULT_POOL_SIZE=20", "POOLER_DEFAULT_POOL_SIZE=250"),
    (SETTINGS, LIVE, POOLING),
    (_setting("supavisor", "POOLER_DEFAULT_POOL_SIZE"),
     f"{LIVE}::test_pooler_reports[supavisor-POOLER_DEFAULT_POOL_SIZE]",
     f"{POOLING}::test_pool_fits_within_max_connections"))


@contextlib.contextmanager
def _drifted_pooler(env: CanaryEnv) -> Iterator[Target]:
    """A pooler that admits 500 clients where the stack says 100 (within the policy's bounds)."""
    local = env.local
    with local.scratch("canary_pooler_drifts", label="canary:pooler_drifts_from_stack") as target:
        dbname = psycopg.conninfo.conninfo_to_dict(target.direct_dsn)["dbname"]
        pooler = LocalPgBouncer(local.postgres.host, local.postgres.port, dict(local.pgbouncer.users),
                                label="pgbouncer-canary", **(pooler_settings(STACK_DIR) | {"max_client_conn": 500})).start()
        try:
            yield target.replace(pooler_dsn=pooler.dsn("postgres", dbname),
                                 api_dsn=pooler.dsn("authenticator", dbname), pooler_admin_dsn=pooler.admin_dsn())
        finally:
            pooler.stop()


register(Canary(
    "pooler_drifts_from_stack", "the running pooler admits 500 clients where the stack says 100",
    (LIVE,), (f"{LIVE}::test_pooler_reports[supavisor-POOLER_MAX_CLIENT_CONN]",), _drifted_pooler))
