"""The settings policy (stack/settings-policy.yaml) judged on what the running target reports:
Postgres' pg_settings (every setting the policy names for Postgres, on every target with a
database) and the pooler's SHOW CONFIG (where the target gives its console), which must also
run the values the stack gives Supavisor."""
from __future__ import annotations

import pytest

from spine_harness.capacity.sampling import pooler_setting
from spine_harness.deployment import settings_policy as policy_mod
from spine_harness.deployment.definition import StackDefinition

POLICY = policy_mod.load()


@pytest.fixture(scope="module")
def stack(stack_dir) -> StackDefinition:
    return StackDefinition.load(stack_dir)


LIVE_POSTGRES = [r for r in POLICY.postgres.values() if r.live]


@pytest.fixture(scope="module")
def pg_settings(admin_conn) -> dict[str, str]:
    rows = admin_conn.execute("select lower(name), setting, unit from pg_settings").fetchall()
    return {name: policy_mod.pg_setting_value(setting, unit) for name, setting, unit in rows}


@pytest.mark.needs("database")
@pytest.mark.parametrize("rule", LIVE_POSTGRES, ids=[r.name for r in LIVE_POSTGRES])
def test_postgres_reports(pg_settings, rule):
    problem = rule.problem(pg_settings.get(rule.name))
    assert problem is None, f"the running Postgres (pg_settings): {problem} — {rule.why}"


POOLER_CASES = POLICY.reported_by("pgbouncer")



@pytest.mark.needs("pooler")
@pytest.mark.parametrize("service, rule", POOLER_CASES, ids=[f"{s}-{r.name}" for s, r in POOLER_CASES])
def test_pooler_reports(console, stack, service, rule):
    """The running pooler keeps the rule, and runs the value the stack gives it."""
    key = rule.reported_as["pgbouncer"]
    reported = pooler_setting(console, key)
    problem = rule.problem(reported)
    assert problem is None, f"the running pooler (SHOW CONFIG {key}): {problem} — {rule.why}"
    stack_value = stack.compose.service(service).environment.get(rule.name)
    assert reported == stack_value, (f"the running pooler has {key} = {reported!r}; the stack gives "
                                     f"{service} {rule.name} = {stack_value!r}")
