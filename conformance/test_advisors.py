"""Supabase's own database linter (the advisors), run by the pinned Supabase CLI against the
target's direct login: one check per lint the CLI runs, so the summary shows which ran.

Security findings at ERROR or WARN fail, naming lint, object and remediation; performance
findings at WARN fail unless sql/advisors-allowlist.yaml names them with a reason; INFO
findings pass and are recorded as properties (they reach the JUnit report).
"""
from __future__ import annotations

import pytest

from spine_harness.advisors import allowlist, cli
from spine_harness.advisors.catalog import LINTS
from spine_harness.advisors.verdict import failing
from spine_harness.rls.lints import api_schemas

pytestmark = pytest.mark.needs("database", "supabase advisors")

SECURITY_LINTS = {lint.name for lint in LINTS if lint.category == "SECURITY"}


@pytest.fixture(scope="module")
def advisors_run(spine, admin_conn):
    """One CLI run for the whole area (the lints all come from one query)."""
    try:
        return cli.run(spine.direct_dsn, api_schemas(admin_conn))
    except cli.AdvisorsFailed as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def allowed():
    return allowlist.load(security_lints=SECURITY_LINTS)


# Not `distinct_checks`: INFO-level lints (unused_index, table_bloat...) never fail by design,
# so no canary can make them fail; tests/canaries/advisors.py plants findings for the others.
@pytest.mark.parametrize("lint", LINTS, ids=lambda lint: lint.name)
def test_advisor(lint, advisors_run, allowed, record_property):
    # The run's pinned version and wall time ride on every case (one CLI run serves them all);
    # tests/test_advisors_cli.py holds the lint list to the installed CLI's bundled SQL.
    record_property("advisors_cli_version", advisors_run.version)
    record_property("advisors_seconds", f"{advisors_run.seconds:.2f}")
    findings = [f for f in advisors_run.findings if f.name == lint.name]
    for i, f in enumerate(f for f in findings if f.level == "INFO"):
        record_property(f"info_{i}", f.line())
    bad = failing(lint, findings, allowed)
    assert not bad, (f"{lint.name} ({lint.category.lower()}): {len(bad)} finding(s):\n  "
                     + "\n  ".join(f.line() for f in bad))
