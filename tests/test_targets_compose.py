"""The compose target without Docker: it says why it cannot run here, the .env it would start
the stack with is a valid deployment bound to loopback, and the endpoints map onto it."""
from __future__ import annotations

import psycopg
import pytest

from spine_harness.deployment.envfile import parse_env, read_env_file
from spine_harness.config.paths import STACK_DIR
from spine_harness.deployment import compose, deployment_env, ports
from spine_harness.targets import Capability, TargetUnavailable
from spine_harness.config.settings import Settings
from spine_harness.targets import compose as compose_target
from spine_harness.targets.registry import kind_for


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return parse_env(deployment_env.generate(STACK_DIR, compose_target.compose_env_overrides()))


def test_skips_with_the_reason_where_docker_cannot_run():
    why = compose_target.unavailable_reason()
    if why is None:
        pytest.skip("Docker with Compose v2 is available here: the compose target can run")
    kind = kind_for(Settings(target="compose"))
    assert isinstance(kind, compose_target.ComposeSpine) and not kind.capabilities
    assert kind.missing_reason(Capability.DATABASE) == f"target 'compose' is unavailable: {why}"
    assert "Docker" in why or "Compose" in why or "docker" in why or "testcontainers" in why
    with pytest.raises(TargetUnavailable, match="unavailable"), kind.started():
        pass


def test_generated_env_is_a_valid_deployment(env):
    required = compose.load(STACK_DIR).required_variables()
    assert deployment_env.problems(env, read_env_file(STACK_DIR / ".env.example"), required) == []


def test_stack_publishes_on_loopback_only(env):
    openings = ports.compose_openings(compose.load(STACK_DIR, env))
    assert openings and all(o.loopback_only for o in openings), [o.where for o in openings]
    assert {o.port for o in openings} == {int(env[v]) for v in compose_target.PUBLISHED_PORT_VARIABLES}


def test_endpoints_map_onto_the_env(env):
    target = compose_target.target_from_env(env)
    direct, pooled, api = (psycopg.conninfo.conninfo_to_dict(d)
                           for d in (target.direct_dsn, target.pooler_dsn, target.api_dsn))
    tenant = env["POOLER_TENANT_ID"]
    assert (direct["host"], direct["port"], direct["user"]) == ("127.0.0.1", env["POOLER_PROXY_PORT_SESSION"],
                                                                f"postgres.{tenant}")
    assert (pooled["port"], pooled["user"]) == (env["POOLER_PROXY_PORT_TRANSACTION"], f"postgres.{tenant}")
    assert (api["port"], api["user"]) == (env["POOLER_PROXY_PORT_TRANSACTION"], f"authenticator.{tenant}")
    assert direct["password"] == env["POSTGRES_PASSWORD"] and direct["dbname"] == env["POSTGRES_DB"]
    assert target.gateway_url == f"http://127.0.0.1:{env['KONG_HTTP_PORT']}"
    assert (target.jwt_secret, target.anon_key, target.service_role_key) == (
        env["JWT_SECRET"], env["ANON_KEY"], env["SERVICE_ROLE_KEY"])
    assert target.capabilities - {Capability.ADVISORS} == {Capability.DATABASE, Capability.POOLER, Capability.GATEWAY}
    assert set(target.lacks) == {Capability.EDGE, Capability.FIREWALL_HOST, Capability.SCRATCH_DATABASES,
                                 Capability.RESTARTABLE_SERVERS}
