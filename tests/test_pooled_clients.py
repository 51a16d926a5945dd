"""Pooled capacity in clients on a small staircase (20 and 40 clients, 5 s steps) against a
seeded copy of the local target: every client is held at once on no more than the pool's server
connections, without errors; a pooler whose client limit is short is refused in one line; the
report shows the figures. No latency is asserted (the machine is shared)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spine_harness.capacity import pooled_clients as pooled
from spine_harness.capacity import population
from spine_harness.config.paths import REPO_ROOT
from spine_harness.database.connections import connect
from spine_harness.report import pooled as pooled_report


@pytest.fixture(scope="module")
def seeded(local_spine, tmp_path_factory):
    with local_spine.scratch("test_pooled_clients") as target:
        with connect(target.direct_dsn, autocommit=True) as conn:
            population.create(conn, 200, 1)
        yield target, target.write_attach_file(tmp_path_factory.mktemp("attach") / "attach.json")


def test_a_small_staircase_holds_every_client_on_the_pool(seeded, tmp_path):
    target, attach = seeded
    plan = pooled.PooledPlan(clients=(20, 40), step_seconds=5, think_seconds=0.5, slo_p95_ms=60_000,
                             sample_seconds=1)
    result = pooled.measure(target, attach, plan, tmp_path / "locust", progress=lambda _: None)
    assert result["locust_exit"] == 0 and result["run_errors"] == 0, result
    assert [s["clients"] for s in result["steps"]] == [20, 40]
    for step in result["steps"]:
        assert step["requests"] > 0 and step["errors"] == 0
        assert step["clients_held"] >= step["clients"], result["steps"]
        assert step["held_p95_ms"] is not None and step["p95_ms"] is not None
        assert 0 < step["server_connections_max"] <= result["pooler"]["default_pool_size"]
    # Latency is judged by the command's report, never by a test on a shared machine: every other
    # part of the verdict must hold.
    assert all(f.startswith("p95 ") for f in result["failures"]), result["failures"]
    assert result["pooler"]["pooler_open_files"]["after"] >= result["pooler"]["pooler_open_files"]["needed"]
    path = tmp_path / "pooled-clients.json"
    path.write_text(json.dumps(result))
    lines = pooled_report.markdown(path)
    assert lines[1] == "## Pooled capacity in clients" and lines[-1].startswith("| 40 | ")
    assert "<h2>Pooled capacity in clients</h2>" in pooled_report.html_section(path)


def test_a_pooler_whose_client_limit_is_short_is_refused(seeded, tmp_path):
    target, attach = seeded
    with pytest.raises(pooled.PooledClientsRefused, match=r"allows 100 clients and the run needs 1020"):
        pooled.measure(target, attach, pooled.PooledPlan(clients=(1000,)), tmp_path, progress=lambda _: None)


def test_bad_client_counts_are_one_line():
    proc = subprocess.run([sys.executable, "-m", "spine_harness", "pooled-clients", "--clients", "500,100"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "rising user counts" in proc.stderr and "Traceback" not in proc.stderr


def test_the_held_p95_leaves_out_the_arrival_of_a_steps_clients():
    # Locust's windows (seconds since the test started) and the pooler's samples (seconds since
    # Locust was launched, the test starting 1 s later): 100 clients all connected at t=4.
    windows = [{"end_s": 3.0, "users": 100, "by_name": {pooled.TOTAL: {"p95_ms": 900.0}}},
               {"end_s": 6.0, "users": 100, "by_name": {pooled.TOTAL: {"p95_ms": 40.0}}},
               {"end_s": 9.0, "users": 100, "by_name": {pooled.TOTAL: {"p95_ms": 60.0}}}]
    samples = [pooled.Sample(t, clients, 0, 10, 0.0) for t, clients in ((1.0, 2), (2.0, 50), (4.0, 102), (8.0, 102))]
    assert pooled._test_start(samples, baseline=2) == 1.0
    assert pooled.held_p95({"windows": windows}, samples, start=1.0, baseline=2, clients=100) == 60.0
    assert pooled.held_p95({"windows": windows}, samples, start=1.0, baseline=2, clients=200) is None
