"""The pre-deploy gate, end to end: yes on the clean local Spine, no (naming the area) on a
canary, and never a secret in what it prints or writes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.canaries import all_canaries
from spine_harness.runs.predeploy import bench_regression_step
from spine_harness.config.paths import REPO_ROOT
from spine_harness.runs.redaction import secrets_of


def run_gate(attach: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spine_harness", "gate", "--spine-attach", str(attach),
                           "--out", str(out), *extra],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)


def assert_no_secret_leaked(proc: subprocess.CompletedProcess, out: Path, secrets: set[str]) -> None:
    assert secrets, "the target under test has no secrets: the leak check would prove nothing"
    for secret in secrets:
        assert secret not in proc.stdout + proc.stderr, "a secret appeared in the gate's output"
        for f in out.rglob("*"):
            if f.is_file():
                assert secret.encode() not in f.read_bytes(), f"a secret appeared in {f.name}"


def test_gate_says_yes_on_the_clean_local_spine(local_spine, tmp_path):
    target = local_spine.target()
    attach = target.write_attach_file(tmp_path / "target.json")
    out = tmp_path / "gate"
    proc = run_gate(attach, out, "--load-seconds", "5")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "GATE: YES" in proc.stdout and "gateway" in proc.stdout  # the declared lack is said
    for artifact in ("gate.xml", "conformance.xml", "report.html", "summary.md", "gate.json"):
        assert (out / artifact).exists(), f"the gate did not write {artifact}"
    assert_no_secret_leaked(proc, out, secrets_of(target))


@pytest.mark.parametrize("name", ["rls_off_certificates"])
def test_gate_says_no_on_a_canary_naming_the_area(name, canary_env, tmp_path):
    canary = all_canaries()[name]
    with canary.broken_target(canary_env) as target:
        attach = target.write_attach_file(tmp_path / "target.json")
        proc = run_gate(attach, tmp_path / "gate", "--skip-load")
    assert proc.returncode == 1, proc.stdout[-4000:]
    verdict = next(line for line in proc.stdout.splitlines() if line.startswith("GATE:"))
    assert verdict.startswith("GATE: NO") and "rls_matrix" in verdict and "rls_lints" in verdict, verdict
    assert_no_secret_leaked(proc, tmp_path / "gate", secrets_of(target))


def test_bad_options_are_refused_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "spine_harness", "gate", "--bench-threshold", "lots"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is not a fraction or percentage" in proc.stderr


def _saved_run(storage: Path, name: str, when: str, mean: float, baseline: float = 0.001) -> None:
    """A saved run in pytest-benchmark's file layout, reduced to the fields the gate reads."""
    folder = storage / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps({
        "datetime": when, "machine_info": {"node": "ci"},
        "benchmarks": [{"group": "rls:profile_read", "name": "test_rls_cost", "fullname": "bench_rls.py::test_rls_cost",
                        "param": "profile_read-policy",
                        "extra_info": {"case": "policy", "baseline_case": "service_role", "baseline_median": baseline},
                        "stats": {"mean": mean, "median": mean, "min": mean, "ops": 1 / mean}}]}))


def test_bench_regression_beyond_the_threshold_says_no(tmp_path):
    _saved_run(tmp_path, "0001", "2026-11-23T01:00:00", 0.0010)
    _saved_run(tmp_path, "0002", "2026-11-24T01:00:00", 0.0014)
    step = bench_regression_step(tmp_path, 0.25)
    assert not step.ok and "rls:profile_read[policy]" in step.detail and "+40% on the fastest round" in step.detail


def test_a_worse_interleaved_ratio_says_no(tmp_path):
    """The policy got slower relative to service_role in the same run: a per-row policy, say."""
    _saved_run(tmp_path, "0001", "2026-11-23T01:00:00", 0.0011, baseline=0.0010)
    _saved_run(tmp_path, "0002", "2026-11-24T01:00:00", 0.0016, baseline=0.0010)
    step = bench_regression_step(tmp_path, 1.0, 0.25)
    assert not step.ok and "policy/service_role 1.10x -> 1.60x" in step.detail


def test_bench_noise_within_the_threshold_passes(tmp_path):
    _saved_run(tmp_path, "0001", "2026-11-23T01:00:00", 0.0010)
    _saved_run(tmp_path, "0002", "2026-11-24T01:00:00", 0.0011)
    assert bench_regression_step(tmp_path, 0.25).ok


def _saved_ratios(storage: Path, ratios: dict[tuple[str, str, str], float]) -> None:
    """A saved pytest-benchmark run whose interleaved ratios (group, case, baseline case) ->
    t(case) / t(baseline) are the given ones."""
    benchmarks = [{"group": group, "name": f"test_{group}", "stats": {"mean": r, "min": r, "median": r},
                   "extra_info": {"case": case, "baseline_case": base, "baseline_median": 1.0}}
                  for (group, case, base), r in ratios.items()]
    folder = storage / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True)
    (folder / "0001_run.json").write_text(json.dumps({"datetime": "2026-12-02T00:00:00", "benchmarks": benchmarks,
                                                      "machine_info": {}}))


def test_the_gate_enforces_the_goals_the_report_judges(tmp_path):
    """rls:signing_log_insert at 1.47x misses its 1.3x goal: the gate says no, as the report does."""
    from spine_harness.runs.predeploy import bench_goals_step
    _saved_ratios(tmp_path, {("rls:signing_log_insert", "policy", "service_role"): 1.47,
                          ("rls:profile_read", "policy", "service_role"): 1.1})
    step = bench_goals_step(tmp_path)
    assert not step.ok and "rls:signing_log_insert 1.47x" in step.detail, step.detail


def test_an_advisory_goal_is_reported_not_enforced(tmp_path):
    from spine_harness.report.ratios import RATIOS
    from spine_harness.runs.predeploy import bench_goals_step
    advisory = next(r for r in RATIOS if r.advisory and r.goal)
    # twice the goal's wrong side: t(numerator) / t(baseline) of 2.0 is 2.0x or 0.5x by the ratio's kind
    _saved_ratios(tmp_path, {("rls:profile_read", "policy", "service_role"): 1.1,
                          (advisory.group, advisory.numerator, advisory.baseline): 2.0 if advisory.kind == "at_least"
                          else advisory.goal * 2})
    step = bench_goals_step(tmp_path)
    assert step.ok and "advisory goals missed" in step.detail, step.detail
