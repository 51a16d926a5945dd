"""Canaries for the pooling suite: each puts a differently configured PgBouncer in front of the
healthy local Postgres (on a scratch copy of the database) and hands the suite its endpoints."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg

from tests.canaries import Canary, CanaryEnv, register
from spine_harness.servers.pgbouncer import LocalPgBouncer
from spine_harness.targets.model import Target

POOLING = "test_pooling.py"


def pooler_canary(name: str, breaks: str, must_fail: tuple[str, ...], **pgbouncer_settings) -> Canary:
    """`pgbouncer_settings` are LocalPgBouncer keyword arguments (pool_mode=...) or, under `extra`,
    pgbouncer.ini settings."""
    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        local = env.local
        with local.scratch(f"canary_{name}", label=f"canary:{name}") as target:
            dbname = psycopg.conninfo.conninfo_to_dict(target.direct_dsn)["dbname"]
            pooler = LocalPgBouncer(local.postgres.host, local.postgres.port, dict(local.pgbouncer.users),
                                    label="pgbouncer-canary", **pgbouncer_settings).start()
            try:
                yield target.replace(pooler_dsn=pooler.dsn("postgres", dbname),
                                     api_dsn=pooler.dsn("authenticator", dbname),
                                     pooler_admin_dsn=pooler.admin_dsn())
            finally:
                pooler.stop()
    return register(Canary(name, breaks, (POOLING,), must_fail, broken))


pooler_canary(
    "pooler_session_mode", "the pooler runs in session mode where transaction mode is required",
    (f"{POOLING}::test_transaction_local_state_does_not_leak[*]",
     f"{POOLING}::test_session_state_stays_with_the_server_connection[*]",
     f"{POOLING}::test_unprepared_psycopg_survives_changing_server_connections"),
    pool_mode="session")

pooler_canary(
    "pool_exceeds_max_connections", "the pool (250) is larger than Postgres' max_connections (200) allows",
    (f"{POOLING}::test_pool_fits_within_max_connections",
     f"{POOLING}::test_server_connections_never_exceed_pool_size",
     f"{POOLING}::test_500_short_lived_clients_share_the_pool"),
    default_pool_size=250, extra={"max_db_connections": "250"})

pooler_canary(
    "pooler_client_limit_raised", "the pooler admits 1000 clients where the stack allows 100",
    (f"{POOLING}::test_clients_beyond_max_client_conn_are_refused_cleanly",),
    max_client_conn=1000)

pooler_canary(
    "pooler_login_retry_stalls", "after a failed server login the pooler waits 60 s before trying again",
    (f"{POOLING}::test_postgres_restart_under_load_loses_no_committed_row",),
    extra={"server_login_retry": "60"})
