"""Row-level security, cell by cell: every table x actor x operation against the one written
expectation (sql/rls-expectations.yaml), each cell run as PostgREST would run the request."""
from __future__ import annotations

import pytest

from spine_harness.rls import expectations as rls_expectations
from spine_harness.rls.lints import api_schemas
from spine_harness.rls.matrix import run_cell

pytestmark = pytest.mark.needs("database", "pooler")

EXPECTATIONS = rls_expectations.load()
API_ROLES = ("anon", "authenticated", "service_role")
OPERATIONS = rls_expectations.OPERATIONS


@pytest.mark.parametrize("cell", EXPECTATIONS.cells(), ids=lambda c: c.id)
def test_cell(cell, api_conn, seed_rows):
    observed = run_cell(api_conn, seed_rows, cell)
    assert observed.outcome is cell.expected, (
        f"{cell.actor} {cell.operation} on {cell.table}: expected {cell.expected.value}, "
        f"got {observed.outcome.value} ({observed.detail})")


@pytest.mark.parametrize("table", sorted(EXPECTATIONS.tables))
@pytest.mark.parametrize("role", API_ROLES)
def test_privileges(table, role, admin_conn):
    """Deny by grant, not only by policy: a role holds exactly the privileges its actors use,
    and no API role may truncate. A privilege granted on some columns only counts as held
    (test_exposure.py judges which columns)."""
    expected = EXPECTATIONS.privileges(table, role)
    held = {op for op in [*OPERATIONS, "truncate"] if admin_conn.execute(
        "select case when %s in ('select', 'insert', 'update') then has_any_column_privilege(%s, %s, %s)"
        " else has_table_privilege(%s, %s, %s) end", (op, role, table, op, role, table, op)).fetchone()[0]}
    assert held == set(expected), (
        f"{role} on {table}: holds {sorted(held) or 'nothing'}, expected {sorted(expected) or 'nothing'}")


def test_every_exposed_table_has_expectations(admin_conn, stack_dir):
    """A table added to an exposed schema without an entry in the expectations is a gap."""
    schemas = api_schemas(admin_conn, stack_dir)
    tables = {r[0] for r in admin_conn.execute(
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and n.nspname = any(%s)"
        " and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')",
        (schemas,)).fetchall()}
    unwritten = sorted(tables - set(EXPECTATIONS.tables))
    assert not unwritten, f"tables with no written RLS expectation: {', '.join(unwritten)}"
    missing = sorted(set(EXPECTATIONS.tables) - tables)
    assert not missing, f"expectations name tables the database does not have: {', '.join(missing)}"
