"""What every service is told, judged against the settings policy (stack/settings-policy.yaml):
each service's environment (interpolated as Compose would, with the deployment's .env or one
generated from .env.example), what each container is given, and Postgres' own configuration;
a setting the policy does not know fails, so the policy grows with the stack. Needs no server:
test_live_settings.py judges what a running target reports against the same policy."""
from __future__ import annotations

import pytest

from spine_harness.deployment import settings_policy as policy_mod
from spine_harness.deployment.definition import StackDefinition

POLICY = policy_mod.load()


def _ids(cases):
    return [f"{service}-{rule.name}" for service, rule in cases]


@pytest.fixture(scope="module")
def stack(stack_dir) -> StackDefinition:
    return StackDefinition.load(stack_dir)


def _service(stack, name):
    svc = stack.compose.services.get(name)
    assert svc is not None, f"the policy names service {name!r}, which docker-compose.yml does not have"
    return svc


def _raw_environment(stack, name) -> dict[str, str]:
    env = ((stack.compose.raw.get("services") or {}).get(name) or {}).get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def test_every_service_is_in_the_policy(stack):
    present, known = set(stack.compose.services), set(POLICY.services)
    assert present == known, (f"services the settings policy does not know: {sorted(present - known)}; "
                              f"in the policy but not the stack: {sorted(known - present)}")


# --- each service's environment ---------------------------------------------------------------------

@pytest.mark.parametrize("service, rule", POLICY.environment_cases(), ids=_ids(POLICY.environment_cases()))
def test_environment_setting(stack, service, rule):
    env = _service(stack, service).environment
    problem = rule.problem(env.get(rule.name), _raw_environment(stack, service).get(rule.name))
    assert problem is None, f"{service}: {problem} (in {stack.env_source}) — {rule.why}"


@pytest.mark.parametrize("service", sorted(POLICY.services))
def test_no_unknown_environment_setting(stack, service):
    unknown = sorted(set(_service(stack, service).environment) - set(POLICY.services[service].environment))
    assert not unknown, (f"{service} is given settings the settings policy does not name: {unknown}; "
                         "add each to stack/settings-policy.yaml with its rule and why")


# --- what each container is given ---------------------------------------------------------------

@pytest.mark.parametrize("service, rule", POLICY.container_cases(), ids=_ids(POLICY.container_cases()))
def test_container_setting(stack, service, rule):
    given = policy_mod.container_settings(_service(stack, service))
    problem = rule.problem(given.get(rule.name))
    assert problem is None, f"{service}: {problem} — {rule.why}"


@pytest.mark.parametrize("service", sorted(POLICY.services))
def test_no_unknown_container_key(stack, service):
    given = policy_mod.container_settings(_service(stack, service))
    unknown = sorted(set(given) - set(POLICY.services[service].container))
    assert not unknown, (f"{service} is given {unknown}, which the settings policy does not name; "
                         "add each to stack/settings-policy.yaml with its rule and why")


# --- Postgres' own configuration ----------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres_sources(stack) -> dict[str, dict[str, str]]:
    return policy_mod.postgres_sources(stack.root, stack.compose.service("db"))


@pytest.mark.parametrize("rule", POLICY.postgres.values(), ids=list(POLICY.postgres))
def test_postgres_setting(postgres_sources, rule):
    given = {where: settings[rule.name] for where, settings in postgres_sources.items() if rule.name in settings}
    if not given:
        problem = rule.problem(None)
        assert problem is None, f"{problem} in any of {', '.join(postgres_sources)} — {rule.why}"
    problems = [f"{where}: {p}" for where, value in given.items() if (p := rule.problem(value))]
    assert not problems, "\n  ".join(problems) + f"\n  — {rule.why}"


def test_no_unknown_postgres_setting(postgres_sources):
    unknown = sorted(f"{where}: {name}" for where, settings in postgres_sources.items()
                     for name in settings if name not in POLICY.postgres)
    assert not unknown, ("Postgres settings the settings policy does not name:\n  " + "\n  ".join(unknown)
                         + "\n  add each to stack/settings-policy.yaml under postgres.settings")


def test_pg_hba_methods(stack):
    lines = policy_mod.hba_methods(stack.root)
    weak = [f"line {n}: {method}" for n, method in lines if method not in POLICY.hba_methods]
    assert lines and not weak, (f"pg_hba.conf uses methods beyond {sorted(POLICY.hba_methods)}: {weak}"
                                if lines else "pg_hba.conf has no rule at all")
