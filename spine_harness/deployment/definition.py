"""One stack directory read once: its compose file (interpolated with the env a deployment of
it would use), that env, `.env.example`, postgresql.conf and kong.yml. The static suite's
modules each take one of these instead of re-reading files their own way."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from spine_harness.gateway import kong_config as kong
from spine_harness.deployment.envfile import read_env_file
from spine_harness.deployment import compose, deployment_env, pgconf


@dataclasses.dataclass(frozen=True)
class StackDefinition:
    root: Path
    example: dict[str, str]     # .env.example
    env: dict[str, str]         # the deployment's .env, or a freshly generated one
    env_source: str             # which of the two, for failure messages
    compose: compose.ComposeFile

    @classmethod
    def load(cls, root: Path, keys: str = "legacy") -> "StackDefinition":
        """`keys` is the key model of the .env generated where the stack has none."""
        root = Path(root)
        env, source = deployment_env.deployment_env(root, keys)
        return cls(root, read_env_file(root / deployment_env.ENV_EXAMPLE), env, source, compose.load(root, env))

    @property
    def postgresql_conf(self) -> dict[str, str]:
        return pgconf.load(self.root)

    @property
    def kong_text(self) -> str:
        return (self.root / "volumes" / "api" / "kong.yml").read_text()

    @property
    def kong(self) -> kong.KongConfig:
        return kong.parse(self.kong_text)
