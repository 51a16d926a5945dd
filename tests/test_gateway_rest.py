"""PostgREST through the gateway, proven against the double in front of the real database:
every cell of the RLS expectation table (and the anon-key table reads, and the supabase client's
reads) passes as configured, and fails when the database under the gateway is broken."""
from __future__ import annotations

import pytest

from spine_harness.database.connections import connect
from spine_harness.gateway.checks import check_anon_table_read, check_client_select, check_rest_cell
from spine_harness.rls import expectations as rls_expectations
from tests.gateway_double import failing, seeded, serving

EXPECTATIONS = rls_expectations.load()
CELLS = EXPECTATIONS.cells()
SELECT_CELLS = [c for c in CELLS if c.operation == "select"]
BROKEN_TABLE = "gesign.certificates"
BREAK_SQL = (f"alter table {BROKEN_TABLE} disable row level security;"
             f" grant select on {BROKEN_TABLE} to anon")


@pytest.fixture(scope="module")
def target(local_spine):
    return local_spine.target()


@pytest.fixture(scope="module")
def gateway(target):
    with serving(target) as gw:
        yield gw


@pytest.fixture(scope="module")
def seed_rows(target):
    with seeded(target) as seed:
        yield seed


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_cell_check_passes_as_configured(gateway, target, seed_rows, cell):
    if cell.operation == "select":
        check_rest_cell(gateway, seed_rows, cell)
        return
    with seeded(target) as fresh:     # a write may change or remove the rows it acts on
        check_rest_cell(gateway, fresh, cell)


@pytest.mark.parametrize("table", sorted(EXPECTATIONS.tables))
def test_anon_read_check_passes_as_configured(gateway, table):
    check_anon_table_read(gateway, table, EXPECTATIONS.expected(table, "anon", "select"))


@pytest.mark.parametrize("cell", SELECT_CELLS, ids=lambda c: c.id)
def test_client_check_passes_as_configured(gateway, seed_rows, cell):
    check_client_select(gateway, seed_rows, cell)


def test_rest_checks_catch_a_broken_database(local_spine):
    """RLS off (and anon granted SELECT) on one table under the gateway."""
    cells = [c for c in SELECT_CELLS if c.table == BROKEN_TABLE]
    with local_spine.scratch("gateway_double_rls_off") as broken, seeded(broken) as seed, serving(broken) as gw:
        with connect(broken.direct_dsn, autocommit=True) as conn:
            conn.execute(BREAK_SQL)
        failed_cells = failing(lambda c: check_rest_cell(gw, seed, c), cells, lambda c: c.id)
        failed_client = failing(lambda c: check_client_select(gw, seed, c), cells, lambda c: c.id)
        failed_anon = failing(lambda t: check_anon_table_read(gw, t, EXPECTATIONS.expected(t, "anon", "select")),
                              [BROKEN_TABLE], str)
    must_fail = {f"{BROKEN_TABLE}-anon-select", f"{BROKEN_TABLE}-other-select"}
    assert must_fail <= failed_cells, f"cell checks that did not fail: {sorted(must_fail - failed_cells)}"
    assert must_fail <= failed_client, f"client checks that did not fail: {sorted(must_fail - failed_client)}"
    assert failed_anon == {BROKEN_TABLE}, "the anon-key read of the table did not fail"
