"""The nightly report: built from real pytest-benchmark output and results records, rendered by
headless Chromium, and looked at. Targets are never added together, and a stale, interrupted or
partial run never reads as a pass."""
from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap

import pytest

from spine_harness.commands import report as report_command
from spine_harness.report import render, screenshot
from spine_harness.runs import records
from spine_harness.runs.results import AreaResult

BENCH = textwrap.dedent('''
    import time

    from spine_harness.capacity.paired_benchmark import paired

    def test_profile_read(benchmark):
        benchmark.group = "rls:profile_read"
        paired(benchmark, lambda: time.sleep(0.0012), lambda: time.sleep(0.001),
               case="policy", baseline_case="service_role", rounds=30)
''')
EVERY_AREA = records.all_areas()


def record(target: str, started: str, areas: dict[str, tuple[int, int, int]], complete: bool = True,
           collected: dict[str, int] | None = None, label: str = "") -> records.RunRecord:
    """A results record as the plugin writes one; `areas` maps area -> (passed, failed, skipped)."""
    found = tuple(AreaResult(a, p, f, s, ("x: found",) if f else (), ("target 'local' lacks the gateway",) if s else (),
                             (collected or {}).get(a, p + f + s)) for a, (p, f, s) in areas.items())
    return records.RunRecord(target, label, started, started, "abc123", 0 if complete else 2, complete, found)


def all_pass(**changes) -> dict[str, tuple[int, int, int]]:
    return {a: (3, 0, 0) for a in EVERY_AREA} | changes


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    (tmp / "bench_fake.py").write_text(BENCH)
    for i in range(2):   # two saved runs make a trend
        subprocess.run([sys.executable, "-m", "pytest", str(tmp / "bench_fake.py"), "-q", "-p", "no:cacheprovider",
                        "--benchmark-autosave", f"--benchmark-storage=file://{tmp}/store",
                        f"--benchmark-json={tmp}/latest.json"],
                       check=True, capture_output=True, cwd=tmp)
    records.write(record("local", "2026-12-01T00:00:00+00:00",
                         all_pass(rls_lints=(0, 1, 0), gateway_routes=(0, 0, 1))), tmp)
    args = argparse.Namespace(bench_json=tmp / "latest.json", bench_storage=tmp / "store",
                              capacity=tmp / "none.json", runs=tmp, out=tmp / "out", title="Spine nightly report")
    report = report_command.build(args)
    page, summary = render.write(report, args.out)
    return report, page, summary


def test_ratios_are_judged_against_their_goals(built):
    report, _, summary = built
    row = next(r for r in report.ratio_rows() if r.ratio.group == "rls:profile_read" and r.ratio.numerator == "policy")
    assert row.value == pytest.approx(1.2, abs=0.15)
    assert row.met is True
    assert "| rls:profile_read | t(policy) / t(service_role) |" in summary.read_text()


def test_conformance_areas_and_failures_are_shown(built):
    report, page, summary = built
    assert report.failing_areas == ["local: rls_lints (fail)"]
    text = summary.read_text()
    assert "| rls_lints | 0 | 1 | 0 | FAIL |" in text and "| gateway_routes | 0 | 0 | 1 | SKIP |" in text
    assert "target local, 2026-12-01T00:00:00+00:00" in text and "commit abc123" in text
    assert "lacks the gateway" in page.read_text()


def build(tmp_path, *runs: records.RunRecord) -> render.Report:
    for r in runs:
        records.write(r, tmp_path)
    args = argparse.Namespace(bench_json=tmp_path / "no.json", bench_storage=tmp_path / "none",
                              capacity=tmp_path / "no-cap.json", runs=tmp_path, out=tmp_path, title="t")
    return report_command.build(args)


def test_targets_are_never_added_together(tmp_path):
    report = build(tmp_path, record("local", "2026-12-01T00:00:00+00:00", all_pass()),
                   record("remote", "2026-11-20T00:00:00+00:00", all_pass(pg_hba=(0, 7, 0))))
    text = render.markdown(report)
    assert "### local" in text and "### remote" in text
    assert report.failing_areas == ["remote: pg_hba (fail)"]
    assert "| edge | 3 | 0 | 0 | PASS |" in text and "| edge | 6 |" not in text


def test_an_interrupted_run_is_never_a_pass(tmp_path):
    partial = {a: (3, 0, 0) for a in EVERY_AREA[:5]}
    report = build(tmp_path, record("local", "2026-12-01T00:00:00+00:00", all_pass()),
                   record("local", "2026-12-02T00:00:00+00:00", partial | {EVERY_AREA[5]: (1, 0, 0)}, complete=False,
                          collected={EVERY_AREA[5]: 4}))
    text = render.markdown(report)
    assert report.headline.startswith("INCOMPLETE run on local"), report.headline
    assert f"| {EVERY_AREA[5]} | 1 | 0 | 0 | INCOMPLETE |" in text
    assert f"| {EVERY_AREA[-1]} | - | - | - | MISSING |" in text
    assert "the last complete run of this target was 2026-12-01" in text
    assert "PASS" not in report.headline


def test_a_partial_selection_shows_missing_areas_as_failures(tmp_path):
    report = build(tmp_path, record("local", "2026-12-01T00:00:00+00:00", {"rls_matrix": (5, 0, 0)}))
    assert all(f"local: {a} (missing)" in report.failing_areas for a in EVERY_AREA if a != "rls_matrix")


def test_missing_inputs_are_said_not_hidden(tmp_path):
    args = argparse.Namespace(bench_json=tmp_path / "no.json", bench_storage=tmp_path / "none",
                              capacity=tmp_path / "no-cap.json", runs=tmp_path, out=tmp_path, title="empty")
    report = report_command.build(args)
    text = render.markdown(report)
    assert "(no results" in text and "not measured" in text
    assert report.headline.startswith("NO CONFORMANCE RESULTS")


def test_report_renders_in_chromium(built, tmp_path):
    _, page, _ = built
    png = screenshot.screenshot(page, tmp_path / "report.png")
    ok, why = screenshot.looks_rendered(png)
    assert ok, f"the rendered report looks empty or broken: {why} ({png})"


def test_a_blank_page_is_judged_broken(tmp_path):
    page = tmp_path / "blank.html"
    page.write_text("<!doctype html><html><body></body></html>")
    ok, why = screenshot.looks_rendered(screenshot.screenshot(page, tmp_path / "blank.png"))
    assert not ok, f"a blank page passed as rendered: {why}"


def test_the_memory_proof_and_pooled_clients_are_plotted():
    from spine_harness.report import plots
    proof = {"proof_lines": [{"item": "shared_buffers", "mib": 2048}, {"item": "work_mem", "mib": 3708}],
             "resident_peak_mib": 7476, "usage_peak_mib": 8192, "limit_mib": 8192}
    steps = [{"clients": c, "p95_ms": p, "held_p95_ms": h, "errors": e} for c, p, h, e in
             [(100, 6, 10, 0), (1000, 120, 38, 2)]]
    for uri in (plots.memory_proof(proof), plots.pooled_clients(steps, 100)):
        assert uri and uri.startswith("data:image/png;base64,") and len(uri) > 2000
    assert plots.memory_proof({"proof_lines": []}) is None and plots.pooled_clients([], 100) is None
