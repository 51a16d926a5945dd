"""A service's environment as Compose would hand it over, for the values the local target takes
from the stack (the pooler's pool settings, the schemas PostgREST exposes). Interpolated with
`.env.example`, and the stack's `.env` over it where one exists; secrets are not needed here
and may be empty."""
from __future__ import annotations

from pathlib import Path

from spine_harness.deployment import compose, deployment_env
from spine_harness.deployment.envfile import read_env_file

API_SERVICE = "rest"
SCHEMAS_SETTING = "PGRST_DB_SCHEMAS"


class StackValueMissing(ValueError):
    """The stack does not give a value the local target needs; the message names it."""


def stack_env(stack_dir: Path) -> dict[str, str]:
    root = Path(stack_dir)
    env = read_env_file(root / deployment_env.ENV_EXAMPLE) if (root / deployment_env.ENV_EXAMPLE).exists() else {}
    if (root / deployment_env.ENV_FILE).exists():
        env |= read_env_file(root / deployment_env.ENV_FILE)
    return env


def service_environment(stack_dir: Path, service: str) -> dict[str, str]:
    return compose.load(Path(stack_dir), stack_env(stack_dir)).service(service).environment


def required_value(stack_dir: Path, service: str, name: str) -> str:
    value = service_environment(stack_dir, service).get(name, "").strip()
    if not value:
        raise StackValueMissing(f"{Path(stack_dir) / compose.COMPOSE_FILE}: service {service} gives no {name}")
    return value


def api_schemas(stack_dir: Path) -> list[str]:
    """The schemas PostgREST exposes, as the stack configures it (PGRST_DB_SCHEMAS)."""
    return [s.strip() for s in required_value(stack_dir, API_SERVICE, SCHEMAS_SETTING).split(",") if s.strip()]
