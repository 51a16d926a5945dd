"""The operator scripts: shellcheck-clean, refuse to write without a terminal unless told,
never overwrite a .env unasked, and deploy.sh refuses a stack the static suite refuses.
Nothing here touches the machine outside a temporary directory."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from spine_harness.deployment.envfile import read_env_file
from spine_harness.config.paths import STACK_DIR
from spine_harness.deployment import compose, deployment_env

SCRIPTS = STACK_DIR / "scripts"


def run(script, *args, cwd=None, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINE_")}
    env |= {"PYTHON": sys.executable} | (env_extra or {})
    return subprocess.run(["bash", str(script), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


@pytest.fixture
def stack_copy(tmp_path):
    """A copy of stack/ to run the scripts in: they act on the stack they stand in."""
    copy = tmp_path / "stack"
    shutil.copytree(STACK_DIR, copy, ignore=shutil.ignore_patterns(".env"))
    return copy


def test_shellcheck():
    scripts = sorted(SCRIPTS.glob("*.sh"))
    assert {"setup-server.sh", "generate-secrets.sh", "deploy.sh", "db-status.sh"} <= {s.name for s in scripts}
    proc = subprocess.run(["shellcheck", "-x", *map(str, scripts)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("script", ["setup-server.sh", "generate-secrets.sh", "deploy.sh", "db-status.sh"])
def test_help(script):
    proc = run(SCRIPTS / script, "--help")
    assert proc.returncode == 0 and "stack/scripts/" + script in proc.stdout, proc.stdout + proc.stderr


def test_setup_server_refuses_without_a_terminal():
    proc = run(SCRIPTS / "setup-server.sh")
    assert proc.returncode == 1 and "rerun with --yes" in proc.stderr, proc.stdout + proc.stderr


def test_generate_secrets(stack_copy, tmp_path):
    script, env_file = stack_copy / "scripts" / "generate-secrets.sh", stack_copy / ".env"
    backups = {"BACKUP_DIR": str(tmp_path / "backups")}
    refused = run(script, env_extra=backups)
    assert refused.returncode == 1 and "rerun with --yes" in refused.stderr and not env_file.exists()

    wrote = run(script, "--yes", env_extra=backups)
    assert wrote.returncode == 0, wrote.stderr
    assert "next: bash" in wrote.stdout and "deploy.sh" in wrote.stdout
    first = read_env_file(env_file)
    required = compose.load(stack_copy).required_variables()
    assert deployment_env.problems(first, read_env_file(stack_copy / ".env.example"), required) == []

    kept = run(script, "--yes", env_extra=backups)
    assert kept.returncode == 1 and "exists: keeping it" in kept.stderr and read_env_file(env_file) == first

    replaced = run(script, "--yes", "--force", env_extra=backups)
    assert replaced.returncode == 0, replaced.stderr
    assert read_env_file(env_file)["JWT_SECRET"] != first["JWT_SECRET"]
    (backup,) = (tmp_path / "backups").iterdir()
    assert read_env_file(backup) == first


def test_deploy_refuses_a_stack_the_static_suite_refuses(stack_copy):
    (stack_copy / ".env").write_text(deployment_env.generate(stack_copy))
    compose_file = stack_copy / "docker-compose.yml"
    compose_file.write_text(compose_file.read_text().replace("- 127.0.0.1:${KONG_HTTP_PORT}", "- ${KONG_HTTP_PORT}"))
    proc = run(stack_copy / "scripts" / "deploy.sh", "--yes")
    assert proc.returncode == 1 and "the static suite failed" in proc.stderr, proc.stdout[-2000:] + proc.stderr
    assert "test_gateway_and_studio_stay_inside" in proc.stdout


def test_deploy_checks_the_stack_before_docker(stack_copy):
    """On a healthy stack the static suite passes; here it then stops at the missing Docker."""
    (stack_copy / ".env").write_text(deployment_env.generate(stack_copy))
    proc = run(stack_copy / "scripts" / "deploy.sh", "--yes")
    assert re.search(r"\d+ passed in ", proc.stdout) and not re.search(r"\d+ failed", proc.stdout), proc.stdout[-2000:]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode:
        assert proc.returncode == 1 and "Compose v2" in proc.stderr, proc.stderr


def test_deploy_wants_an_env_file(stack_copy):
    proc = run(stack_copy / "scripts" / "deploy.sh", "--yes")
    assert proc.returncode == 1 and "generate-secrets.sh first" in proc.stderr
