"""The pooler holds: transaction-mode semantics, its limits, and recovery from a Postgres restart.

Clients connect as PostgREST does (`authenticator` through the pooler, psycopg with prepared
statements off). Isolation is observed, not assumed: a second client is steered onto the first
client's server connection (a transaction pooler hands out the most recently released one) and
reads what the first left behind.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import threading
import time
import uuid

import psycopg
import pytest

from spine_harness.database import impersonation
from spine_harness.database.connections import connect
from spine_harness.capacity.sampling import pooler_setting
from spine_harness.rls import seed as rls_seed

pytestmark = pytest.mark.needs("database", "pooler")

LANDING_TRIES = 60


def backend_of(conn: psycopg.Connection, statement: str) -> int:
    """Run `statement` and `select pg_backend_pid()` in one round trip (so on one server
    connection, whatever the pooler does next); returns that backend's pid."""
    cur = conn.execute(f"{statement}; select pg_backend_pid()")
    while cur.nextset():
        pass
    return cur.fetchone()[0]


def land_on(conn: psycopg.Connection, pid: int, observe: str, cleanup: str = "") -> tuple:
    """Run `select pg_backend_pid(), <observe>` until it runs on backend `pid`; `cleanup` runs in the
    same round trip, so it clears exactly the server connection that was observed."""
    seen = set()
    for _ in range(LANDING_TRIES):
        row = conn.execute(f"select pg_backend_pid(), {observe}; {cleanup}").fetchone()
        if row[0] == pid:
            return row
        seen.add(row[0])
    pytest.fail(f"in {LANDING_TRIES} transactions the second client never got the first client's server "
                f"connection (backend {pid}; it got {sorted(seen)}): the pooler does not share server "
                "connections between clients, so it is not in transaction mode", pytrace=False)


@pytest.fixture
def two_clients(spine):
    """Two PostgREST-like clients of the pooler, both connected throughout."""
    with connect(spine.api_dsn, autocommit=True) as first, connect(spine.api_dsn, autocommit=True) as second:
        yield first, second



# --- transaction-mode semantics -------------------------------------------------------------------

TOKEN = uuid.uuid4().hex
LOCAL_STATE = {
    "set_local": (f"set local spine.probe = '{TOKEN}'", "current_setting('spine.probe', true)"),
    "set_config_local": (f"select set_config('spine.probe', '{TOKEN}', true)", "current_setting('spine.probe', true)"),
    "jwt_claims": (None, "current_user || ' ' || coalesce(nullif(current_setting('request.jwt.claims', true), ''),"
                         " 'no claims')"),
}


@pytest.mark.parametrize("kind", LOCAL_STATE)
def test_transaction_local_state_does_not_leak(two_clients, kind):
    first, second = two_clients
    setter, observe = LOCAL_STATE[kind]
    if setter is None:          # exactly what PostgREST does per request
        claims = impersonation.claims_for("authenticated", uuid.uuid4())
        with impersonation.request(first, claims, commit=True) as cur:
            pid = cur.execute("select pg_backend_pid()").fetchone()[0]
    else:
        with first.transaction():
            first.execute(setter)
            pid = first.execute("select pg_backend_pid()").fetchone()[0]
    _, seen = land_on(second, pid, observe)
    assert seen in (None, "", "authenticator no claims"), (
        f"{kind}: after the first client committed, the next client on backend {pid} read {seen!r}")


SESSION_STATE = {
    "session_set": (f"set spine.probe = '{TOKEN}'",
                    f"current_setting('spine.probe', true) = '{TOKEN}'", "reset spine.probe"),
    "listen": ("listen spine_probe", "'spine_probe' = any(array(select pg_listening_channels()))", "unlisten *"),
    "sql_prepare": ("prepare spine_probe as select 1",
                    "exists (select from pg_prepared_statements where name = 'spine_probe')", "deallocate all"),
}


@pytest.mark.parametrize("kind", SESSION_STATE)
def test_session_state_stays_with_the_server_connection(two_clients, kind, record_property):
    """Transaction mode documents that session state (SET, LISTEN, SQL PREPARE) belongs to the
    server connection, not to the client: clients must not use it. What the target does is
    recorded (JUnit property `observed`); the check fails only if no second client ever
    shares the first's server connection, i.e. the pooler is not pooling transactions."""
    first, second = two_clients
    setter, observe, cleanup = SESSION_STATE[kind]
    pid = backend_of(first, setter)
    _, leaked = land_on(second, pid, observe, cleanup)
    observed = ("visible to the next client on that server connection, as transaction mode documents"
                if leaked else "reset before the next client got that server connection")
    record_property("observed", observed)
    print(f"{kind}: {observed}")


def test_unprepared_psycopg_survives_changing_server_connections(spine):
    """psycopg prepares a statement after 5 runs unless prepare_threshold=None (spine_harness.database.connections);
    behind a transaction pooler the next run may land on a server connection that never saw it."""
    with connect(spine.api_dsn, autocommit=True) as client, connect(spine.api_dsn, autocommit=True) as other:
        backends, answers = set(), []
        for i in range(12):
            # Every other run, another client holds the server connection this one just released.
            holding = i % 2 == 1
            if holding:
                other.execute("begin")
                other.execute("select 1")
            row = client.execute("select pg_backend_pid(), %s::int * 2", (i,)).fetchone()
            if holding:
                other.execute("commit")
            backends.add(row[0])
            answers.append(row[1])
    assert answers == [i * 2 for i in range(12)]
    assert len(backends) > 1, (f"twelve runs of one statement all ran on backend {backends}: the pooler "
                               "never moved this client to another server connection (not transaction mode)")


# --- limits ---------------------------------------------------------------------------------------

def test_pool_fits_within_max_connections(console, admin_conn):
    pool = max(int(pooler_setting(console, "default_pool_size")), int(pooler_setting(console, "max_db_connections")))
    max_connections = int(admin_conn.execute("show max_connections").fetchone()[0])
    reserved = int(admin_conn.execute("show superuser_reserved_connections").fetchone()[0])
    assert pool <= max_connections - reserved, (
        f"the pooler may open {pool} server connections per database, but Postgres allows "
        f"{max_connections} minus {reserved} reserved for superusers")


def test_server_connections_never_exceed_pool_size(spine, stack_pool, admin_conn):
    """Three times the pool's worth of clients, each running short transactions, while the
    backends the pooler holds are counted from Postgres' side."""
    pool_size = stack_pool["default_pool_size"]
    user = psycopg.conninfo.conninfo_to_dict(spine.api_dsn)["user"]
    peak, done = 0, threading.Event()

    def count_backends():
        nonlocal peak
        with connect(spine.direct_dsn, autocommit=True) as watcher:
            while not done.is_set():
                n = watcher.execute("select count(*) from pg_stat_activity where usename = %s"
                                    " and datname = current_database()", (user,)).fetchone()[0]
                peak = max(peak, n)
                time.sleep(0.005)

    def client(_):
        with connect(spine.api_dsn, autocommit=True) as conn:
            for _ in range(5):
                conn.execute("select pg_sleep(0.02)")

    clients = pool_size * 3
    watcher = threading.Thread(target=count_backends)
    watcher.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, range(clients)))
    finally:
        done.set()
        watcher.join()
    assert 0 < peak <= pool_size, (
        f"{clients} clients drove {peak} concurrent `{user}` backends; the stack's pool size "
        f"(POOLER_DEFAULT_POOL_SIZE) is {pool_size}")


def test_500_short_lived_clients_share_the_pool(spine, stack_pool):
    """Connect, one short transaction, disconnect, 500 times, 40 at a time: every client
    completes, and together they used no more server connections than the pool has."""
    pool_size = stack_pool["default_pool_size"]
    def client(_):
        with connect(spine.api_dsn, autocommit=True) as conn:
            return conn.execute("select pg_backend_pid() from pg_sleep(0.02)").fetchone()[0]

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        outcomes = [f.exception() or f.result() for f in [pool.submit(client, i) for i in range(500)]]
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, f"{len(errors)} of 500 short-lived clients failed, e.g. {errors[0]!r}"
    backends = set(outcomes)
    assert len(backends) <= pool_size, (
        f"500 short-lived clients ran on {len(backends)} distinct server connections; "
        f"the stack's pool has {pool_size}")


def test_clients_beyond_max_client_conn_are_refused_cleanly(spine, stack_pool):
    """Open clients until the pooler refuses one: that must happen by the stack's
    POOLER_MAX_CLIENT_CONN, as a prompt error, and the pooler must serve again afterwards."""
    max_clients = stack_pool["max_client_conn"]
    held: list[psycopg.Connection] = []
    refusal: psycopg.OperationalError | None = None
    try:
        while len(held) <= max_clients and refusal is None:
            try:
                held.append(connect(spine.api_dsn, autocommit=True))
            except psycopg.OperationalError as exc:
                refusal = exc
    finally:
        for conn in held:
            conn.close()
    assert refusal is not None, (
        f"the pooler admitted {len(held)} clients of this test alone; the stack's limit is {max_clients}")
    assert "timeout expired" not in str(refusal), f"client {len(held) + 1} hung instead of being refused: {refusal}"
    with connect(spine.api_dsn, autocommit=True) as conn:
        assert conn.execute("select 1").fetchone() == (1,), "the pooler did not serve after refusing clients"
    print(f"refused this test's client {len(held) + 1}: {str(refusal).strip()}")


# --- fault: Postgres restarted under load -----------------------------------------------------------

# The pooler settings that decide how it rides out a server restart, copied from the target's.
RECOVERY_SETTINGS = ("pool_mode", "default_pool_size", "max_client_conn", "max_db_connections",
                     "server_login_retry", "server_connect_timeout", "query_wait_timeout", "server_check_delay")
WRITERS = 8
LOAD_BEFORE_S, LOAD_AFTER_S, RECOVERY_GRACE_S = 0.5, 2.0, 1.5


@pytest.fixture
def private_spine(console, restartable_spine):
    """A Postgres + PgBouncer pair of this test's own (the shared one must not be restarted),
    with the target's pooler recovery settings copied in."""
    settings = {key: pooler_setting(console, key) for key in RECOVERY_SETTINGS}
    with restartable_spine(pooler_extra={k: v for k, v in settings.items() if v is not None},
                           label="fault") as (private, _):
        yield private


@pytest.mark.needs("restartable servers")
def test_postgres_restart_under_load_loses_no_committed_row(private_spine):
    target = private_spine.target()
    with connect(target.direct_dsn, autocommit=True) as admin:
        seed = rls_seed.create(admin)
    owner = seed.users["owner"]
    claims = impersonation.claims_for("authenticated", owner)
    acked: list[float] = []
    errors: list[tuple[float, str]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer():
        conn = None
        while not stop.is_set():
            try:
                conn = conn or connect(target.api_dsn, autocommit=True)
                with impersonation.request(conn, claims, commit=True) as cur:
                    cur.execute("insert into gesign.signing_logs (user_id, certificate_id, document_hash,"
                                " signature_algorithm) values (%s, %s, sha256(gen_random_uuid()::text::bytea),"
                                " 'Ed25519')", (owner, seed.certificate))
                with lock:
                    acked.append(time.monotonic())
            except psycopg.Error as exc:
                with lock:
                    errors.append((time.monotonic(), f"{type(exc).__name__}: {str(exc).strip()[:120]}"))
                with contextlib.suppress(psycopg.Error):
                    conn and conn.close()
                conn = None
                time.sleep(0.02)
        if conn:
            conn.close()

    # Daemons: a writer stuck in a pooler that never recovers is freed when the fixture stops it.
    threads = [threading.Thread(target=writer, daemon=True) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(LOAD_BEFORE_S)
        down = time.monotonic()
        private_spine.postgres.restart()
        up = time.monotonic()
        time.sleep(LOAD_AFTER_S)
    finally:
        stop.set()
        for t in threads:
            t.join(2)
    with lock:   # what the clients were told, before the rows are counted
        acked, errors = list(acked), list(errors)
    with connect(target.direct_dsn, autocommit=True) as admin:
        stored = admin.execute("select count(*) from gesign.signing_logs where user_id = %s", (owner,)).fetchone()[0]
    committed = stored - 1       # the seed's own log row
    outside = [(round(at - up, 2), what) for at, what in errors if not down <= at <= up + RECOVERY_GRACE_S]
    after = sum(1 for at in acked if at > up + RECOVERY_GRACE_S)

    assert private_spine.pgbouncer.process.running, "the pooler exited when Postgres restarted"
    assert committed >= len(acked), f"{len(acked)} commits were acknowledged but only {committed} rows are stored"
    assert not outside, (f"errors outside the outage ({up - down:.1f}s, plus {RECOVERY_GRACE_S}s to reconnect), "
                         f"as (seconds after Postgres was back, error): {outside[:5]}")
    assert after > 0, f"no transaction succeeded in the {LOAD_AFTER_S - RECOVERY_GRACE_S:.1f}s after recovery"
    print(f"restart took {up - down:.2f}s; {len(acked)} acknowledged commits, {committed} stored, "
          f"{len(errors)} errors during the outage")
