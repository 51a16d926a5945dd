"""generate-secrets and the .env checks: a generated .env is accepted; each broken variant is
refused with one line naming the variable and never its value; nothing is overwritten unasked."""
from __future__ import annotations

import stat
import subprocess
import sys

import jwt
import pytest

from spine_harness.keys import tokens
from spine_harness.deployment.envfile import parse_env, read_env_file
from spine_harness.config.paths import REPO_ROOT, STACK_DIR
from spine_harness.deployment import compose, deployment_env

EXAMPLE = read_env_file(STACK_DIR / ".env.example")
REQUIRED = compose.load(STACK_DIR).required_variables()


@pytest.fixture
def env() -> dict[str, str]:
    return parse_env(deployment_env.generate(STACK_DIR))


def test_generated_env_is_accepted(env):
    assert deployment_env.problems(env, EXAMPLE, REQUIRED) == []
    claims = tokens.check_api_key("SERVICE_ROLE_KEY", env["SERVICE_ROLE_KEY"], env["JWT_SECRET"])
    assert claims["role"] == "service_role" and claims["iss"] == "supabase"
    assert len(env["VAULT_ENC_KEY"]) == 32 and len(env["JWT_SECRET"]) >= 32


def test_every_generation_is_fresh():
    first, second = deployment_env.fresh_secrets(), deployment_env.fresh_secrets()
    # Under legacy, JWT_KEYS is `[]` and the ES256 internal keys are empty every time.
    legacy_constant = {"JWT_KEYS", *asymmetric_only()}
    assert all(first[name] != second[name] for name in deployment_env.GENERATED if name not in legacy_constant)


def asymmetric_only():
    """What the legacy model leaves empty: the ES256 internal keys."""
    from spine_harness.keys import asymmetric
    return asymmetric.INTERNAL_KEYS


def _demo_key(env):
    return jwt.encode({"role": "anon", "iss": "supabase-demo", "iat": 1, "exp": 2 ** 31}, env["JWT_SECRET"],
                      algorithm="HS256")


@pytest.mark.parametrize("variable, breakage, message", [
    ("JWT_SECRET", lambda env: "Zx8#Qw2!", "JWT_SECRET has 8 characters; at least 32"),
    ("ANON_KEY", _demo_key, "ANON_KEY was issued by 'supabase-demo'"),
    ("ANON_KEY", lambda env: tokens.mint_api_key(env["JWT_SECRET"], "service_role"),
     "ANON_KEY carries role 'service_role'"),
    ("SERVICE_ROLE_KEY", lambda env: tokens.mint_api_key("another-secret-" + env["JWT_SECRET"], "service_role"),
     "SERVICE_ROLE_KEY does not verify with JWT_SECRET"),
    ("POSTGRES_PASSWORD", lambda env: "password-password-password-password", "POSTGRES_PASSWORD contains the word"),
    ("VAULT_ENC_KEY", lambda env: env["VAULT_ENC_KEY"] + "x", "VAULT_ENC_KEY has 33 characters; exactly 32"),
    ("POOLER_TENANT_ID", None, "POOLER_TENANT_ID is not set"),
    ("DASHBOARD_PASSWORD", lambda env: "", "DASHBOARD_PASSWORD is missing or empty"),
])
def test_bad_input_is_named(env, variable, breakage, message):
    broken = dict(env)
    if breakage is None:
        del broken[variable]
    else:
        broken[variable] = breakage(env)
    found = deployment_env.problems(broken, EXAMPLE, REQUIRED)
    assert any(message in line for line in found), found
    secret_values = {v for k, v in broken.items() if k in deployment_env.GENERATED and len(v) > 8}
    assert not any(value in line for line in found for value in secret_values), "a message shows a secret"
    assert all("\n" not in line for line in found)


def test_existing_env_is_kept_unless_forced(tmp_path):
    target, backups = tmp_path / ".env", tmp_path / "backups"
    assert deployment_env.write(target, "A=1\n", backup_dir=backups) is None
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(deployment_env.EnvFileExists, match="--force"):
        deployment_env.write(target, "A=2\n", backup_dir=backups)
    assert target.read_text() == "A=1\n"
    backup = deployment_env.write(target, "A=2\n", force=True, backup_dir=backups)
    assert backup.read_text() == "A=1\n" and stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert target.read_text() == "A=2\n"


def test_command_prints_no_secret(tmp_path):
    out = tmp_path / "env"
    proc = subprocess.run([sys.executable, "-m", "spine_harness", "generate-secrets", "--env-file", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    env = read_env_file(out)
    assert not any(env[name] in proc.stdout + proc.stderr for name in deployment_env.GENERATED if env[name])
    again = subprocess.run([sys.executable, "-m", "spine_harness", "generate-secrets", "--env-file", str(out)],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "exists: keeping it" in again.stderr and read_env_file(out) == env


@pytest.mark.parametrize("keys", ["legacy", "asymmetric"])
def test_generated_env_of_each_key_model_is_accepted(keys):
    env = parse_env(deployment_env.generate(STACK_DIR, keys=keys))
    assert deployment_env.problems(env, EXAMPLE, REQUIRED) == []
    from spine_harness.deployment import compose as compose_model
    from spine_harness.keys import asymmetric
    services = {n: s.environment for n, s in compose_model.load(STACK_DIR, env).services.items()}
    assert deployment_env.signing_key_leaks(services, env) == []
    signer = asymmetric.signer_of(env["JWT_KEYS"], env["JWT_SECRET"])
    assert (signer is not None) == (keys == "asymmetric")
    if signer:   # the kong service's internal JWTs are the ES256 keys; PostgREST verifies with the JWKS
        assert services["kong"]["SUPABASE_ANON_JWT"] == env["ANON_KEY_ASYMMETRIC"]
        assert services["rest"]["PGRST_JWT_SECRET"] == env["JWT_JWKS"]
        assert signer.private_jwk()["d"] in services["auth"]["GOTRUE_JWT_KEYS"]
    else:
        assert services["kong"]["SUPABASE_ANON_JWT"] == env["ANON_KEY"] and env["JWT_KEYS"] == "[]"


@pytest.mark.parametrize("variable, breakage, message", [
    ("JWT_JWKS", lambda env: __import__("json").dumps({"keys": __import__("json").loads(env["JWT_KEYS"])}),
     "JWT_JWKS holds private key material"),
    ("SUPABASE_PUBLISHABLE_KEY", lambda env: env["ANON_KEY"], "SUPABASE_PUBLISHABLE_KEY is a JWT"),
    ("SUPABASE_SECRET_KEY", lambda env: "sb_secret_short", "SUPABASE_SECRET_KEY does not have the shape"),
    ("JWT_KEYS", lambda env: "{}", "JWT_KEYS is a JSON dict, not a JSON array"),
    ("ANON_KEY_ASYMMETRIC", lambda env: env["SERVICE_ROLE_KEY_ASYMMETRIC"], "ANON_KEY_ASYMMETRIC carries role 'service_role'"),
])
def test_bad_key_model_input_is_named(variable, breakage, message):
    env = parse_env(deployment_env.generate(STACK_DIR, keys="asymmetric"))
    broken = env | {variable: breakage(env)}
    found = deployment_env.key_model_problems(broken)
    assert any(message in line for line in found), found
    assert not any(broken[variable] in line for line in found if len(broken[variable]) > 8)


def test_command_writes_the_asymmetric_model(tmp_path):
    out = tmp_path / "env"
    proc = subprocess.run([sys.executable, "-m", "spine_harness", "generate-secrets", "--keys", "asymmetric",
                           "--env-file", str(out)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    env = read_env_file(out)
    assert deployment_env.key_model_problems(env) == [] and env["JWT_KEYS"].startswith("[")
    assert not any(env[name] in proc.stdout + proc.stderr for name in deployment_env.GENERATED if env[name])
