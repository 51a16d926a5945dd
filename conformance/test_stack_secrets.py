"""The deployment's secrets, judged without a server: `.env.example` declares every variable
the stack uses and holds no secret; the env a deployment runs with (stack/.env where it exists,
else a fresh one generated from .env.example) has a strong, non-default JWT secret, API keys
that verify with it and carry the right role and expiry, and every other secret strong; the key
model (legacy or asymmetric, as the deployment's .env has it, or as --spine-key-model generates
it) fits, and GoTrue's private signing key is in no other service's environment."""
from __future__ import annotations

import pytest

from spine_harness.deployment import dbstatus, deployment_env
from spine_harness.deployment.definition import StackDefinition


@pytest.fixture(scope="module")
def stack(stack_dir, spine_settings) -> StackDefinition:
    return StackDefinition.load(stack_dir, spine_settings.key_model)


def test_env_example_declares_every_variable(stack):
    used = stack.compose.variables() | set(dbstatus.ENV_VARIABLES)
    undeclared = sorted(used - set(stack.example))
    assert not undeclared, f".env.example does not declare {undeclared}, which the stack uses"


def test_env_example_holds_no_secret(stack):
    filled = sorted(name for name in deployment_env.GENERATED if stack.example.get(name))
    assert not filled, (f".env.example gives values to {filled}: leave secrets empty, "
                        "scripts/generate-secrets.sh fills them in .env")


def test_deployment_env_is_complete(stack):
    problems = deployment_env.missing_variables(stack.env, stack.example, stack.compose.required_variables())
    problems += deployment_env.public_defaults(stack.env)
    assert not problems, f"in {stack.env_source}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", deployment_env.SECRETS)
def test_deployment_secret_is_strong(stack, name):
    problem = deployment_env.secret_problem(name, stack.env)
    assert problem is None, f"in {stack.env_source}: {problem}"


@pytest.mark.parametrize("name", deployment_env.API_KEYS)
def test_deployment_api_key_verifies(stack, name):
    problem = deployment_env.api_key_problem(name, stack.env)
    assert problem is None, f"in {stack.env_source}: {problem}"


def test_deployment_key_model_fits(stack):
    problems = deployment_env.key_model_problems(stack.env)
    assert not problems, f"in {stack.env_source}:\n  " + "\n  ".join(problems)


def test_signing_key_only_in_gotrue(stack):
    environments = {name: service.environment for name, service in stack.compose.services.items()}
    leaks = deployment_env.signing_key_leaks(environments, stack.env)
    assert not leaks, ("GoTrue's private signing key reaches other services' environments "
                       f"(only {', '.join(deployment_env.SIGNING_KEY_HOLDERS)} may hold it):\n  " + "\n  ".join(leaks))
