"""PostgREST through the real gateway, judged against the one written RLS table
(sql/rls-expectations.yaml): the anon key reads only what RLS allows; user tokens read their own
rows and not another's; writes are allowed and refused cell by cell; and the same reads through
the official supabase client, as an application makes them.

Writes touch only the harness's marked rows (a fresh set per write) and need a writable target.
Proven against the in-process double in tests/test_gateway_rest.py.
"""
from __future__ import annotations

import pytest

from spine_harness.gateway.checks import check_anon_table_read, check_client_select, check_rest_cell
from spine_harness.rls import expectations as rls_expectations
from spine_harness.rls import seed as rls_seed

pytestmark = pytest.mark.needs("gateway")

EXPECTATIONS = rls_expectations.load()
CELLS = EXPECTATIONS.cells()
SELECT_CELLS = [c for c in CELLS if c.operation == "select"]


@pytest.fixture
def cell_seed(request, spine, admin_conn, seed_rows):
    """Reads share the module's rows; a write gets rows of its own, removed afterwards."""
    cell = request.node.callspec.params["cell"]
    if cell.actor in ("owner", "other") and not spine.jwt_secret:
        pytest.skip(f"target '{spine.name}' does not give its JWT secret: no user token can be minted")
    if cell.operation == "select":
        yield seed_rows
        return
    fresh = rls_seed.create(admin_conn)
    try:
        yield fresh
    finally:
        rls_seed.remove(admin_conn, fresh)


@pytest.mark.parametrize("table", sorted(EXPECTATIONS.tables))
def test_anon_key_reads_only_what_rls_allows(gateway, table):
    check_anon_table_read(gateway, table, EXPECTATIONS.expected(table, "anon", "select"))


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_cell_through_gateway(gateway, cell, cell_seed):
    check_rest_cell(gateway, cell_seed, cell)


@pytest.mark.parametrize("cell", SELECT_CELLS, ids=lambda c: c.id)
def test_supabase_client_reads(gateway, cell, cell_seed):
    check_client_select(gateway, cell_seed, cell)
