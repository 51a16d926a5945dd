"""What the API exposes, derived: the schemas come from the stack (PGRST_DB_SCHEMAS) and the
running target; every relation, function, extension and column anon or authenticated can reach
through them comes from the catalog, by privilege; each must be covered by the one written
expectation (sql/rls-expectations.yaml), at the grain Postgres grants it."""
from __future__ import annotations

import pytest

from spine_harness.deployment import service_env
from spine_harness.rls import exposure
from spine_harness.rls import expectations as rls_expectations

pytestmark = pytest.mark.needs("database")

EXPECTATIONS = rls_expectations.load()
WRITES = ("insert", "update")
READS = ("select", "references")


@pytest.fixture(scope="module")
def exposed(admin_conn, stack_dir) -> exposure.Exposure:
    return exposure.enumerate_exposure(admin_conn, exposure.api_schemas(admin_conn, stack_dir))


def test_exposed_schemas_are_the_stack_s(admin_conn, stack_dir):
    """The running target serves no schema beyond what the stack's PGRST_DB_SCHEMAS says (the
    settings policy judges that list)."""
    stack = service_env.api_schemas(stack_dir)
    extra = [s for s in exposure.target_schemas(admin_conn) if s not in stack]
    assert not extra, (f"authenticator's pgrst.db_schemas exposes {extra}, which the stack's PGRST_DB_SCHEMAS "
                       f"({', '.join(stack)}) does not")


@pytest.mark.distinct_checks
@pytest.mark.parametrize("kind", exposure.KINDS)
def test_reachable_objects_are_expected(exposed, kind):
    """Every object of this kind anon or authenticated can reach is in the expectations, and
    holds no privilege beyond what they allow."""
    problems = []
    for reach in exposed.of_kind(kind):
        allowed = EXPECTATIONS.allowed(kind, reach.name, reach.role)
        if allowed is None:
            where = "tables" if kind in rls_expectations.TABLE_KINDS else f"exposed.{rls_expectations._section(kind)}"
            problems.append(f"{reach.name}: {reach.role} holds {sorted(reach.privileges) or 'column privileges'}; "
                            f"the expectations have no entry for it (add it under {where})")
        elif kind not in rls_expectations.TABLE_KINDS and not reach.privileges <= allowed:
            problems.append(f"{reach.name}: {reach.role} holds {sorted(reach.privileges - allowed)} beyond {sorted(allowed)}")
    assert not problems, (f"{kind}s reachable through {', '.join(exposed.schemas)} beyond sql/rls-expectations.yaml:\n  "
                          + "\n  ".join(sorted(set(problems))))


def test_table_privileges_are_expected(exposed):
    """Table-level privileges of anon and authenticated, every kind Postgres grants (TRUNCATE,
    REFERENCES and TRIGGER included), within what the expectations allow."""
    problems = [f"{r.name}: {r.role} holds {sorted(r.privileges - allowed)}"
                for kind in rls_expectations.TABLE_KINDS for r in exposed.of_kind(kind)
                if (allowed := EXPECTATIONS.allowed(kind, r.name, r.role)) is not None and not r.privileges <= allowed]
    assert not problems, "table privileges beyond sql/rls-expectations.yaml:\n  " + "\n  ".join(problems)


def _column_problems(exposed, privileges) -> list[str]:
    found = []
    for grant in exposed.columns:
        if grant.privilege not in privileges or EXPECTATIONS.allowed(grant.kind, grant.relation, grant.role) is None:
            continue   # an object the expectations do not cover fails test_reachable_objects_are_expected
        allowed = EXPECTATIONS.allowed_columns(grant.kind, grant.relation, grant.role, grant.privilege)
        if allowed != rls_expectations.ALL_COLUMNS and grant.column not in allowed:
            found.append(f"{grant.relation}.{grant.column}: {grant.role} holds {grant.privilege}"
                         f" (allowed on {sorted(allowed) or 'no column'})")
    return found


def test_column_writes_are_expected(exposed):
    """INSERT and UPDATE at column grain: a column-level grant counts as much as a table's."""
    problems = _column_problems(exposed, WRITES)
    assert not problems, "column writes beyond sql/rls-expectations.yaml (columns:):\n  " + "\n  ".join(problems)


def test_column_reads_are_expected(exposed):
    """SELECT and REFERENCES at column grain."""
    problems = _column_problems(exposed, READS)
    assert not problems, "column reads beyond sql/rls-expectations.yaml:\n  " + "\n  ".join(problems)
