"""The locustfile runs as the README shows, in its own process (Locust patches the interpreter
with gevent), against a seeded copy of the local target: a few seconds, never a real load."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from spine_harness.database.connections import connect
from spine_harness.capacity import population, capacity_report as report
from spine_harness.config.paths import REPO_ROOT


@pytest.fixture(scope="module")
def seeded_attach(local_spine, tmp_path_factory):
    with local_spine.scratch("test_load_smoke") as target:
        with connect(target.direct_dsn, autocommit=True) as conn:
            population.create(conn, 200, 1)
        yield target.write_attach_file(tmp_path_factory.mktemp("attach") / "attach.json")


def locust(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPINE_", "LOCUST_"))}
    return subprocess.run([sys.executable, "-m", "locust", "-f", "load/spine.py", *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_headless_run_with_processes_writes_the_report(seeded_attach, tmp_path):
    out = tmp_path / "capacity"
    proc = locust("--headless", "-u", "4", "-r", "4", "-t", "4s", "--processes", "2",
                  "--spine-attach", str(seeded_attach), "--spine-report", str(out), "--spine-sample", "1")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "leaving out SpineRestUser: target 'local' lacks the gateway" in log
    assert all((out / name).exists() for name in report.FILES), log[-3000:]
    data = json.loads((out / "capacity.json").read_text())
    totals = [w["by_name"][report.TOTAL] for w in data["windows"]]
    assert sum(t["requests"] for t in totals) > 0 and sum(t["failures"] for t in totals) == 0, totals
    assert data["server"]["memory"]["db"]["peak_mib"] > 0


def test_missing_attach_file_is_one_clear_line(tmp_path):
    proc = locust("--headless", "-u", "1", "-t", "1s", "--spine-attach", str(tmp_path / "none.json"))
    assert proc.returncode == 2
    assert "attach file" in proc.stderr and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
