"""Catalog lints over every schema the API exposes (after Supabase's splinter)."""
from __future__ import annotations

import pytest

from spine_harness.rls.lints import LINTS, api_schemas

pytestmark = pytest.mark.needs("database")


@pytest.fixture(scope="module")
def schemas(admin_conn, stack_dir):
    return api_schemas(admin_conn, stack_dir)


@pytest.mark.distinct_checks
@pytest.mark.parametrize("lint", LINTS, ids=lambda lint: lint.name)
def test_lint(lint, admin_conn, schemas):
    findings = lint.run(admin_conn, schemas)
    assert not findings, f"{lint.name}: {lint.why}:\n  " + "\n  ".join(findings)
