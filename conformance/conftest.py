"""Fixtures the conformance suites share: connections to the target and the harness's own rows."""
from __future__ import annotations

import pytest

from spine_harness.capacity.sampling import pooler_console
from spine_harness.database.connections import connect
from spine_harness.targets.local import pooler_settings
from spine_harness.gateway.checks import Gateway
from spine_harness.rls import seed as rls_seed
from spine_harness.targets import Target


@pytest.fixture(scope="session")
def admin_conn(spine: Target):
    """The privileged direct login (catalog reads, seeding the harness's own rows)."""
    with connect(spine.direct_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def api_conn(spine: Target):
    """`authenticator` through the pooler: how PostgREST reaches the database."""
    with connect(spine.api_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def seed_rows(spine: Target, admin_conn):
    """The harness's marked rows, removed when the module is done, also after a failure."""
    if not spine.writable:
        pytest.skip(f"target '{spine.name}' is read-only: set SPINE_ALLOW_WRITES=1 to let the suite "
                    "create (and remove) its own marked rows")
    seed = rls_seed.create(admin_conn)
    try:
        yield seed
    finally:
        rls_seed.remove(admin_conn, seed)


@pytest.fixture(scope="module")
def gateway(spine: Target):
    """An HTTP client for the target's gateway, with its keys (the gateway suites need it)."""
    with Gateway.open(spine) as gw:
        yield gw


@pytest.fixture(scope="session")
def console(spine: Target):
    """The pooler's console (PgBouncer's SHOW commands), where the target gives one."""
    if spine.pooler_admin_dsn is None:
        pytest.skip(f"target '{spine.name}' gives no pooler console (PgBouncer's SHOW commands) to read from")
    with pooler_console(spine.pooler_admin_dsn) as conn:
        yield conn


@pytest.fixture(scope="session")
def stack_pool(stack_dir) -> dict:
    """How the stack under test says Supavisor pools (pool mode, size, client limit)."""
    return pooler_settings(stack_dir)
