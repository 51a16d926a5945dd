"""The memory proof for Postgres: what the tuned postgresql.conf lets it allocate at once fits
the db container's limit, and the tuning has not drifted back to defaults. The budget table is
printed at the end of the run. Needs no server."""
from __future__ import annotations

import pytest

from spine_harness.deployment import memory, tuning
from spine_harness.deployment.definition import StackDefinition

_REPORTER = "spine-postgres-memory-budget"


class BudgetReport:
    """Prints the budget table in pytest's closing summary, where `make conformance` shows it."""

    def __init__(self, budget: memory.Budget, source: str) -> None:
        self.budget, self.source = budget, source

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.section(f"Postgres memory budget ({self.source})")
        for row in self.budget.table():
            terminalreporter.write_line(row)
        terminalreporter.write_line(f"verdict: {'fits' if self.budget.fits else 'DOES NOT FIT'} "
                                    f"(work_mem counted as a sort and a hash per query)")


@pytest.fixture(scope="module")
def db_limit_mib(stack_dir) -> float:
    limit = StackDefinition.load(stack_dir).compose.service("db").memory_limit_mib
    assert limit, "the db service has no deploy.resources.limits.memory: nothing bounds Postgres"
    return limit


@pytest.fixture(scope="module")
def settings(stack_dir) -> dict[str, str]:
    return StackDefinition.load(stack_dir).postgresql_conf


@pytest.fixture(scope="module")
def budget(settings, db_limit_mib, pytestconfig) -> memory.Budget:
    result = memory.budget(settings, db_limit_mib)
    if not pytestconfig.pluginmanager.has_plugin(_REPORTER):
        pytestconfig.pluginmanager.register(BudgetReport(result, "volumes/db/postgresql.conf"), _REPORTER)
    return result


def test_postgres_fits_its_memory_limit(budget):
    assert budget.fits, ("postgresql.conf allows more memory than the db container's limit:\n  "
                         + "\n  ".join(budget.table()))


@pytest.mark.parametrize("rule", tuning.RULES, ids=lambda r: r.name)
def test_postgres_is_tuned(rule, settings, db_limit_mib):
    problem = rule.problem(settings, db_limit_mib)
    assert problem is None, f"{problem} ({rule.why})"
