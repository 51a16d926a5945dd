"""No secret in any output, on any path: known secrets are planted into every entry point and
every byte it prints or leaves behind is searched for them.

Entry points: conformance on the local, remote and compose targets, conformance on an
unreachable target, a failing check that quotes a DSN, the gate, the report, a Locust run, the
MFA benchmark, seed, a canary's inner run, `up`, and `check-stack` on a stack whose .env holds
the secrets.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spine_harness.config.paths import REPO_ROOT, STACK_DIR
from spine_harness.deployment import deployment_env
from spine_harness.runs import records
from spine_harness.runs.redaction import secrets_of
from spine_harness.runs.results import AreaResult

PLANTED_KEY = base64.b64encode(b"planted-mfa-key-0123456789abcdef").decode()
PLANTED = {"SPINE_MFA_KEYRING": f"1:{PLANTED_KEY}", "SPINE_MFA_KEY_VERSION": "1"}
ENTRY_POINTS: list[str] = []      # what assert_hidden searched, in order (for a failure's message)


def env_with(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SPINE_", "LOCUST_"))}
    return base | PLANTED | extra


def run(args: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_hidden(name: str, secrets: set[str], texts: list[str], folders: list[Path] = ()) -> None:
    ENTRY_POINTS.append(name)
    secrets = {s for s in secrets if s and len(s) >= 6}
    assert secrets, f"{name}: nothing planted, the check would prove nothing"
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"{name}: a secret appeared in its output"
        for folder in folders:
            for f in Path(folder).rglob("*") if Path(folder).exists() else ():
                if f.is_file():
                    assert secret.encode() not in f.read_bytes(), f"{name}: a secret appeared in {f.name}"


@pytest.fixture
def attached(local_spine, tmp_path):
    target = local_spine.target()
    return target, target.write_attach_file(tmp_path / "target.json"), secrets_of(target) | {PLANTED_KEY}


def test_conformance_local(attached, tmp_path):
    target, attach, secrets = attached
    junit = tmp_path / "junit.xml"
    proc = run(["pytest", "conformance/test_token_hygiene.py", "conformance/test_mfa_crypto.py", "-l", "--junitxml",
                str(junit), "-p", "no:cacheprovider"], env_with(SPINE_ATTACH=str(attach),
                                                                 SPINE_REPORTS=str(tmp_path / "reports")))
    assert proc.returncode == 0, proc.stdout[-2000:]
    # (the attach file beside them holds the secrets by design: it is the target's description)
    assert_hidden("conformance on local", secrets, [proc.stdout, proc.stderr, junit.read_text()], [tmp_path / "reports"])


def test_a_canary_inner_run(canary_env, local_spine):
    from tests.canaries import all_canaries, run_canary
    result = run_canary(all_canaries()["anon_granted_write"] if "anon_granted_write" in all_canaries()
                        else next(iter(all_canaries().values())), canary_env)
    assert result.run.failed, "the canary's inner run failed nothing: no failing message was searched"
    assert_hidden("a canary's inner run (failing checks)", secrets_of(local_spine.target()),
                  [result.run.output, json.dumps(list(result.run.failed))])


def test_conformance_remote_and_unreachable(local_spine, tmp_path):
    with local_spine.scratch("secrets_remote") as target:
        env = env_with(SPINE_TARGET="remote", SPINE_DB_URL=target.direct_dsn, SPINE_POOLER_URL=target.pooler_dsn,
                       SPINE_API_DB_URL=target.api_dsn, SPINE_JWT_SECRET=target.jwt_secret,
                       SPINE_ANON_KEY=target.anon_key, SPINE_SERVICE_ROLE_KEY=target.service_role_key,
                       SPINE_REPORTS=str(tmp_path / "reports"))
        proc = run(["pytest", "conformance", "-q", "-p", "no:cacheprovider", "--junitxml", str(tmp_path / "r.xml")], env)
        assert proc.returncode == 0, proc.stdout[-2000:]
        assert_hidden("conformance on remote", secrets_of(target) | {PLANTED_KEY}, [proc.stdout, proc.stderr], [tmp_path])
    password = "Unreachable-Pw-4242"
    env = env_with(SPINE_TARGET="remote", SPINE_DB_URL=f"postgresql://x:{password}@127.0.0.1:1/postgres",
                   SPINE_REPORTS=str(tmp_path / "reports2"))
    proc = run(["pytest", "conformance", "-q", "-p", "no:cacheprovider", "--junitxml", str(tmp_path / "u.xml")], env)
    assert proc.returncode == 6
    assert_hidden("conformance on an unreachable remote", {password, PLANTED_KEY}, [proc.stdout, proc.stderr], [tmp_path])


def test_conformance_compose(tmp_path):
    proc = run(["pytest", "conformance/test_token_hygiene.py", "conformance/test_stack_secrets.py", "-q",
                "-p", "no:cacheprovider", "--junitxml", str(tmp_path / "c.xml")],
               env_with(SPINE_TARGET="compose", SPINE_REPORTS=str(tmp_path / "reports")))
    assert proc.returncode in (0, 1, 6), proc.stdout[-2000:]
    assert_hidden("conformance on compose", {PLANTED_KEY}, [proc.stdout, proc.stderr], [tmp_path])


def test_gate(attached, tmp_path):
    _, attach, secrets = attached
    out = tmp_path / "gate"
    proc = run(["spine_harness", "gate", "--spine-attach", str(attach), "--out", str(out), "--load-seconds", "3"],
               env_with(), timeout=900)
    assert "GATE:" in proc.stdout
    assert_hidden("gate", secrets, [proc.stdout, proc.stderr], [out])


def test_report(tmp_path):
    secret = "report-planted-jwt-secret-0123456789abcdef"
    failing = AreaResult("rls_lints", 0, 1, 0, (f"test_lint: connect to password={secret} failed",))
    records.write(records.RunRecord("remote", "", records.now(), records.now(), "abc", 1, True, (failing,)), tmp_path)
    out = tmp_path / "out"
    proc = run(["spine_harness", "report", "--runs", str(tmp_path), "--out", str(out), "--bench-json",
                str(tmp_path / "none.json")], env_with(SPINE_JWT_SECRET=secret))
    assert proc.returncode == 1 and (out / "report.html").exists(), proc.stdout + proc.stderr
    assert_hidden("report", {secret}, [proc.stdout, proc.stderr], [out])


def test_load_and_seed(attached, tmp_path):
    _, attach, secrets = attached
    env = env_with(SPINE_ATTACH=str(attach))
    seed = run(["spine_harness", "seed", "--users", "1000", "--logs-per-user", "1"], env)
    assert seed.returncode == 0, seed.stdout + seed.stderr
    try:
        locust = run(["locust", "-f", "load/spine.py", "--headless", "-u", "4", "-r", "4", "-t", "3s",
                      "--spine-report", str(tmp_path / "capacity")], env, timeout=120)
    finally:
        remove = run(["spine_harness", "seed", "--remove"], env)
    assert locust.returncode == 0, locust.stderr[-2000:]
    assert_hidden("seed", secrets, [seed.stdout, seed.stderr, remove.stdout, remove.stderr])
    assert_hidden("locust", secrets, [locust.stdout, locust.stderr], [tmp_path / "capacity"])


def test_mfa_benchmark(tmp_path):
    proc = run(["pytest", "load/bench_mfa.py", "-q", "-p", "no:cacheprovider", "--benchmark-disable",
                "--bench-users", "1000"], env_with(SPINE_REPORTS=str(tmp_path / "reports")), timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert_hidden("bench (MFA)", {PLANTED_KEY}, [proc.stdout, proc.stderr])


def test_up(tmp_path):
    attach = tmp_path / "up.json"
    proc = subprocess.Popen([sys.executable, "-m", "spine_harness", "up", "--spine-attach", str(attach)],
                            cwd=REPO_ROOT, env=env_with(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):
            if attach.exists() and attach.stat().st_size:
                break
            time.sleep(0.1)
        written = json.loads(attach.read_text())
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    secrets = {written["jwt_secret"], written["anon_key"]} | {
        part.split("=", 1)[1] for part in written["direct_dsn"].split() if part.startswith("password=")}
    assert "local Spine is up" in out
    assert_hidden("up", secrets, [out])


def test_check_stack_with_a_deployment_env(tmp_path):
    stack = tmp_path / "stack"
    shutil.copytree(STACK_DIR, stack, symlinks=True)
    env_text = deployment_env.generate(stack)
    weak = "hunter2-planted"        # too short: the suite must name it, never show it
    env_text = "\n".join(f"DASHBOARD_PASSWORD={weak}" if line.startswith("DASHBOARD_PASSWORD=") else line
                         for line in env_text.splitlines()) + "\n"
    (stack / ".env").write_text(env_text)
    values = {line.split("=", 1)[1] for line in env_text.splitlines()
              if "=" in line and line.split("=", 1)[0] in deployment_env.GENERATED}
    proc = run(["spine_harness", "check-stack", "--stack-dir", str(stack)], env_with())
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "DASHBOARD_PASSWORD" in proc.stdout
    assert_hidden("check-stack on a deployment .env", values | {weak}, [proc.stdout, proc.stderr])
