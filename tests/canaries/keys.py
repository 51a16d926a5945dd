"""Canaries for the key model checks (token hygiene, the static secrets and kong suites), in both
models: a published JWKS with an `oct` key, GoTrue's private key in PostgREST's environment or
in kong.yml, an opaque key that is a JWT, a JWKS that carries the private key."""
from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

from spine_harness.config.paths import STACK_DIR
from spine_harness.deployment import deployment_env
from spine_harness.keys import asymmetric
from spine_harness.targets.model import Target
from tests.canaries import Canary, CanaryEnv, register, replace_in_file
from tests.canaries.jwt import target_canary

HYGIENE = "test_token_hygiene.py"
SECRETS = "test_stack_secrets.py"
KONG = "test_stack_kong.py"


def _asymmetric(t: Target) -> dict:
    values = asymmetric.key_variables("asymmetric", t.jwt_secret)
    keys = json.loads(values["JWT_KEYS"])
    return {"jwt_keys": values["JWT_KEYS"], "jwks_dict": asymmetric.published_jwks(keys),
            "publishable_key": values["SUPABASE_PUBLISHABLE_KEY"], "secret_key": values["SUPABASE_SECRET_KEY"]}


def _with_oct(t: Target) -> dict:
    fields = _asymmetric(t)
    jwks = fields.pop("jwks_dict")
    jwks["keys"].append(asymmetric.legacy_jwk(t.jwt_secret))
    return fields | {"jwks": json.dumps(jwks)}


def _private_published(t: Target) -> dict:
    fields = _asymmetric(t)
    fields.pop("jwks_dict")
    return fields | {"jwks": json.dumps({"keys": json.loads(fields["jwt_keys"])[:1]})}


target_canary("jwks_publishes_oct", "the published JWKS carries the legacy secret as an oct key (asymmetric model)",
              _with_oct, (HYGIENE,), (f"{HYGIENE}::test_published_jwks_is_public_keys_only",))
target_canary("jwks_publishes_private_key", "the published JWKS carries the EC key's private part d",
              _private_published, (HYGIENE,), (f"{HYGIENE}::test_published_jwks_is_public_keys_only",))
target_canary("opaque_key_is_a_jwt", "SUPABASE_PUBLISHABLE_KEY is the anon JWT, not an opaque key",
              lambda t: {"publishable_key": t.anon_key}, (HYGIENE,),
              (f"{HYGIENE}::test_opaque_key_shape[SUPABASE_PUBLISHABLE_KEY]",))
target_canary("opaque_secret_key_malformed", "SUPABASE_SECRET_KEY lacks its checksum",
              lambda t: {"secret_key": t.secret_key.rsplit("_", 1)[0]}, (HYGIENE,),
              (f"{HYGIENE}::test_opaque_key_shape[SUPABASE_SECRET_KEY]",))
target_canary("opaque_keys_equal", "the secret key is the publishable key",
              lambda t: {"secret_key": t.publishable_key}, (HYGIENE,), (f"{HYGIENE}::test_opaque_keys_differ",))
target_canary("signing_key_without_kid", "GoTrue's EC signing key has no kid",
              lambda t: {"jwt_keys": json.dumps([{k: v for k, v in json.loads(_asymmetric(t)["jwt_keys"])[0].items()
                                                  if k != "kid"}])},
              (HYGIENE,), (f"{HYGIENE}::test_signing_keys_fit",))


def asymmetric_stack_canary(name: str, breaks: str, edit, suites: tuple[str, ...], must_fail: tuple[str, ...]) -> Canary:
    """A broken copy of stack/ judged with the asymmetric key model; `edit(copy, env)` gets the
    copy and the asymmetric .env it will be judged with (written to the copy when changed)."""
    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        copy = env.workdir / "stack"
        shutil.copytree(STACK_DIR, copy, symlinks=True)
        from spine_harness.deployment.envfile import parse_env
        values = parse_env(deployment_env.generate(copy, keys="asymmetric"))
        edit(copy, values)
        env.settings_overrides |= {"stack_dir": copy, "key_model": "asymmetric"}
        with env.local.scratch(f"canary_{name}"[:40], label=f"canary:{name}") as target:
            yield target
    return register(Canary(name, breaks, suites, must_fail, broken))


def _write_env(copy: Path, values: dict) -> None:
    example = (copy / deployment_env.ENV_EXAMPLE).read_text()
    (copy / deployment_env.ENV_FILE).write_text(deployment_env.render(example, values))


def _private_key_in_postgrest(copy: Path, values: dict) -> None:
    replace_in_file(copy / "docker-compose.yml", "      PGRST_DB_ANON_ROLE: anon\n",
                    "      PGRST_DB_ANON_ROLE: anon\n      PGRST_JWT_KEYS: ${JWT_KEYS}\n")
    _write_env(copy, values)


def _private_key_in_kong_yml(copy: Path, values: dict) -> None:
    d = json.loads(values["JWT_KEYS"])[0]["d"]
    replace_in_file(copy / "volumes/api/kong.yml", "_format_version:", f"# signing key: {{\"d\": \"{d}\"}}\n_format_version:")


def _private_key_in_jwks(copy: Path, values: dict) -> None:
    values["JWT_JWKS"] = json.dumps({"keys": json.loads(values["JWT_KEYS"])})
    _write_env(copy, values)


def _opaque_key_is_jwt(copy: Path, values: dict) -> None:
    values["SUPABASE_PUBLISHABLE_KEY"] = values["ANON_KEY"]
    _write_env(copy, values)


asymmetric_stack_canary(
    "private_key_in_postgrest_env", "PostgREST's environment is given GoTrue's JWT_KEYS (the private key)",
    _private_key_in_postgrest, (SECRETS,), (f"{SECRETS}::test_signing_key_only_in_gotrue",))
asymmetric_stack_canary(
    "private_key_in_kong_yml", "the EC private key's d written into kong.yml",
    _private_key_in_kong_yml, (KONG,), (f"{KONG}::test_no_literal_key_or_jwt_in_the_stack",))
asymmetric_stack_canary(
    "private_key_in_verifier_jwks", "JWT_JWKS (PostgREST's, Realtime's, Storage's) holds the private key",
    _private_key_in_jwks, (SECRETS,), (f"{SECRETS}::test_deployment_key_model_fits",))
asymmetric_stack_canary(
    "deployment_opaque_key_is_jwt", "the .env's SUPABASE_PUBLISHABLE_KEY is the anon JWT",
    _opaque_key_is_jwt, (SECRETS,), (f"{SECRETS}::test_deployment_key_model_fits",))
