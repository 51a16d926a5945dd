"""Canaries for the static suite: each breaks one thing in a copy of stack/."""
from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable
from pathlib import Path

import jwt
import yaml

from spine_harness.keys import tokens
from tests.canaries import replace_in_file, stack_canary
from spine_harness.deployment.envfile import parse_env
from spine_harness.deployment import deployment_env

COMPOSE = "test_stack_compose.py"
MEMORY = "test_stack_memory.py"
KONG = "test_stack_kong.py"
PORTS = "test_stack_ports.py"
SECRETS = "test_stack_secrets.py"


def _edit_yaml(relative: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(copy: Path) -> None:
        path = copy / relative
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return edit


def _compose(change: Callable[[dict], None]) -> Callable[[Path], None]:
    return _edit_yaml("docker-compose.yml", lambda data: change(data["services"]))


def _kong_service(name: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    return _edit_yaml("volumes/api/kong.yml",
                      lambda data: change(next(s for s in data["services"] if s["name"] == name)))


def _without_plugin(plugin: str) -> Callable[[dict], None]:
    def change(service: dict) -> None:
        service["plugins"] = [p for p in service["plugins"] if p["name"] != plugin]
    return change


def _edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda copy: replace_in_file(copy / relative, old, new)


def _deployment_env(change: Callable[[dict[str, str]], dict[str, str]]) -> Callable[[Path], None]:
    """Write the copy a freshly generated .env, then break it."""
    def edit(copy: Path) -> None:
        env = change(parse_env(deployment_env.generate(copy)))
        (copy / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return edit


# --- compose ---------------------------------------------------------------------------------

stack_canary(
    "service_without_memory_limit", "kong has no memory limit",
    _compose(lambda s: s["kong"]["deploy"]["resources"].pop("limits")),
    (COMPOSE,),
    (f"{COMPOSE}::test_memory_is_the_architecture_s[kong]", f"{COMPOSE}::test_memory_fits_the_box"))

stack_canary(
    "limits_over_budget", "an extra 1 GiB service pushes the limits past what the box can give",
    _compose(lambda s: s.update(functions={
        "image": "supabase/edge-runtime:v1.67.4", "restart": "unless-stopped",
        "deploy": {"resources": {"limits": {"memory": "1024M"}, "reservations": {"memory": "512M"}}}})),
    (COMPOSE,),
    (f"{COMPOSE}::test_memory_fits_the_box", f"{COMPOSE}::test_services_are_the_architecture_s"))

stack_canary(
    "image_unpinned", "kong runs kong:latest",
    _compose(lambda s: s["kong"].update(image="kong:latest")),
    (COMPOSE,), (f"{COMPOSE}::test_image_is_pinned[kong]",))

stack_canary(
    "postgres_not_15", "db runs the Postgres 17 line of supabase/postgres",
    _compose(lambda s: s["db"].update(image="supabase/postgres:17.4.1.054")),
    (COMPOSE,), (f"{COMPOSE}::test_image_is_pinned[db]",))

stack_canary(
    "restart_policy_invalid", "meta has `restart: sometimes`, which Compose rejects",
    _compose(lambda s: s["meta"].update(restart="sometimes")),
    (COMPOSE,),
    (f"{COMPOSE}::test_compose_is_valid", f"{COMPOSE}::test_start_up_is_gated_on_health[meta]"))

stack_canary(
    "postgresql_conf_not_mounted", "db runs the image's own postgresql.conf",
    _compose(lambda s: s["db"].update(volumes=[v for v in s["db"]["volumes"] if "postgresql.conf" not in v])),
    (COMPOSE,), (f"{COMPOSE}::test_db_runs_the_stack_s_postgresql_conf",))

stack_canary(
    "local_sql_mounted", "sql/local/ (the local target's stand-in for the image) mounted into the db",
    _compose(lambda s: s["db"]["volumes"].append(
        "../sql/local/00-supabase-compat.sql:/docker-entrypoint-initdb.d/migrations/99-spine-00-compat.sql:ro")),
    (COMPOSE,), (f"{COMPOSE}::test_db_init_sql_is_the_project_s",))

# --- postgresql.conf ----------------------------------------------------------------------------

stack_canary(
    "shared_buffers_128mb", "shared_buffers back at Postgres' default 128MB",
    _edit("volumes/db/postgresql.conf", "shared_buffers = 2GB", "shared_buffers = 128MB"),
    (MEMORY,), (f"{MEMORY}::test_postgres_is_tuned[shared_buffers]",))

stack_canary(
    "work_mem_over_budget", "work_mem 64MB: 200 connections could take far more than the 8 GB limit",
    _edit("volumes/db/postgresql.conf", "work_mem = 6MB ", "work_mem = 64MB "),
    (MEMORY,), (f"{MEMORY}::test_postgres_fits_its_memory_limit",))

# --- kong.yml -----------------------------------------------------------------------------------

stack_canary(
    "rest_without_key_auth", "/rest/v1/ reachable without an API key",
    _kong_service("rest-v1", _without_plugin("key-auth")),
    (KONG,),
    (f"{KONG}::test_api_routes_want_a_key_and_an_acl", f"{KONG}::test_only_documented_routes_are_open"))

stack_canary(
    "meta_open_to_anon", "/pg/ admits the anon key",
    _kong_service("meta", lambda s: next(p for p in s["plugins"] if p["name"] == "acl")["config"]
                  .update(allow=["admin", "anon"])),
    (KONG,), (f"{KONG}::test_pg_meta_is_for_service_role_only",))

stack_canary(
    "dashboard_without_basic_auth", "Studio reachable through Kong without basic-auth",
    _kong_service("dashboard", _without_plugin("basic-auth")),
    (KONG,),
    (f"{KONG}::test_dashboard_wants_basic_auth", f"{KONG}::test_only_documented_routes_are_open"))

stack_canary(
    "realtime_renamed", "realtime's container renamed: Kong's upstream realtime-dev.supabase-realtime is gone",
    _compose(lambda s: s["realtime"].update(container_name="supabase-realtime")),
    (KONG,), (f"{KONG}::test_upstreams_are_services_of_the_stack",))

stack_canary(
    "kong_variable_not_passed", "kong's environment lacks DASHBOARD_PASSWORD, which kong.yml substitutes",
    _compose(lambda s: s["kong"]["environment"].pop("DASHBOARD_PASSWORD")),
    (KONG,), (f"{KONG}::test_kong_is_given_every_variable_it_substitutes",))

stack_canary(
    "literal_key_in_kong_yml", "a real anon key pasted into kong.yml instead of $SUPABASE_ANON_KEY",
    _edit("volumes/api/kong.yml", "$SUPABASE_ANON_KEY",
          tokens.mint_api_key("canary-secret-that-is-not-deployed-anywhere", "anon")),
    (KONG,), (f"{KONG}::test_no_literal_key_or_jwt_in_the_stack",))

# --- ports --------------------------------------------------------------------------------------

stack_canary(
    "kong_on_all_interfaces", "Kong published on 0.0.0.0 instead of 127.0.0.1",
    _edit("docker-compose.yml", "- 127.0.0.1:${KONG_HTTP_PORT}:8000/tcp", "- ${KONG_HTTP_PORT}:8000/tcp"),
    (PORTS,),
    (f"{PORTS}::test_published_ports_follow_the_ports_table",
     f"{PORTS}::test_only_the_edge_and_the_pooler_face_outside",
     f"{PORTS}::test_gateway_and_studio_stay_inside[kong-loopback]"))

stack_canary(
    "studio_published", "Studio published on port 3000 of every interface",
    _compose(lambda s: s["studio"].update(ports=["3000:3000"])),
    (PORTS,),
    (f"{PORTS}::test_gateway_and_studio_stay_inside[studio-nothing]",
     f"{PORTS}::test_published_ports_follow_the_ports_table",
     f"{PORTS}::test_only_the_edge_and_the_pooler_face_outside"))

# --- secrets ------------------------------------------------------------------------------------

stack_canary(
    "env_example_missing_variable", ".env.example no longer declares POOLER_TENANT_ID",
    _edit(".env.example", "POOLER_TENANT_ID=gerege-spine\n", ""),
    (SECRETS,),
    (f"{SECRETS}::test_env_example_declares_every_variable", f"{SECRETS}::test_deployment_env_is_complete"))

stack_canary(
    "env_example_with_secret", ".env.example carries a JWT_SECRET value",
    lambda copy: replace_in_file(copy / ".env.example", "JWT_SECRET=\n",
                                 f"JWT_SECRET={secrets.token_urlsafe(32)}\n"),
    (SECRETS,), (f"{SECRETS}::test_env_example_holds_no_secret",))


def _demo_anon_key(env: dict[str, str]) -> dict[str, str]:
    """Shaped like upstream's demo key (iss supabase-demo); the exact one is known to tokens.py by
    hash only, so that no usable demo key is written into this repository."""
    claims = {"role": "anon", "iss": "supabase-demo", "iat": 1641769200, "exp": 1799535600}
    return env | {"ANON_KEY": jwt.encode(claims, env["JWT_SECRET"], algorithm="HS256")}


stack_canary(
    "demo_anon_key", "the deployment's ANON_KEY is an upstream demo key (iss supabase-demo)",
    _deployment_env(_demo_anon_key),
    (SECRETS,), (f"{SECRETS}::test_deployment_api_key_verifies[ANON_KEY]",))


def _short_jwt_secret(env: dict[str, str]) -> dict[str, str]:
    secret = "Xy7#kQ2!pL9v"
    with warnings.catch_warnings():   # PyJWT rightly warns about the short key: that is the canary
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        keys = {name: tokens.mint_api_key(secret, role) for name, role in tokens.API_KEY_ROLES.items()}
    return env | {"JWT_SECRET": secret} | keys


stack_canary(
    "short_jwt_secret", "a 12-character JWT_SECRET (keys signed with it)",
    _deployment_env(_short_jwt_secret),
    (SECRETS,),
    (f"{SECRETS}::test_deployment_secret_is_strong[JWT_SECRET]",
     f"{SECRETS}::test_deployment_api_key_verifies[ANON_KEY]"))

stack_canary(
    "env_missing_variable", "the deployment's .env lacks VAULT_ENC_KEY",
    _deployment_env(lambda env: {k: v for k, v in env.items() if k != "VAULT_ENC_KEY"}),
    (SECRETS,),
    (f"{SECRETS}::test_deployment_env_is_complete", f"{SECRETS}::test_deployment_secret_is_strong[VAULT_ENC_KEY]"))
