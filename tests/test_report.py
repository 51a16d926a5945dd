"""The nightly report: built from real pytest-benchmark output and JUnit files, rendered by
headless Chromium, and looked at."""
from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap

import pytest

from spine_harness.commands import report as report_command
from spine_harness.report import render, screenshot

BENCH = textwrap.dedent('''
    import time

    from spine_harness.capacity.paired_benchmark import paired

    def test_profile_read(benchmark):
        benchmark.group = "rls:profile_read"
        paired(benchmark, lambda: time.sleep(0.0012), lambda: time.sleep(0.001),
               case="policy", baseline_case="service_role", rounds=30)
''')
JUNIT = textwrap.dedent('''<?xml version="1.0"?>
    <testsuites><testsuite name="pytest">
      <testcase classname="conformance.test_rls_matrix" name="test_cell[a]"/>
      <testcase classname="conformance.test_rls_lints" name="test_lint[x]"><failure message="x: found"/></testcase>
      <testcase classname="conformance.test_gateway_routes" name="test_route[y]"><skipped message="target 'local' lacks the gateway"/></testcase>
    </testsuite></testsuites>''')


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    (tmp / "bench_fake.py").write_text(BENCH)
    for i in range(2):   # two saved runs make a trend
        subprocess.run([sys.executable, "-m", "pytest", str(tmp / "bench_fake.py"), "-q", "-p", "no:cacheprovider",
                        "--benchmark-autosave", f"--benchmark-storage=file://{tmp}/store",
                        f"--benchmark-json={tmp}/latest.json"],
                       check=True, capture_output=True, cwd=tmp)
    (tmp / "conformance-local.xml").write_text(JUNIT)
    args = argparse.Namespace(bench_json=tmp / "latest.json", bench_storage=tmp / "store",
                              capacity=tmp / "none.json", junit=[tmp / "conformance-local.xml"],
                              out=tmp / "out", title="Spine nightly report")
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
    assert report.failing_areas == ["rls_lints"]
    text = summary.read_text()
    assert "| rls_lints | 0 | 1 | 0 | FAIL |" in text and "| gateway_routes | 0 | 0 | 1 | SKIP |" in text
    assert "lacks the gateway" in page.read_text()


def test_missing_inputs_are_said_not_hidden(tmp_path):
    args = argparse.Namespace(bench_json=tmp_path / "no.json", bench_storage=tmp_path / "none",
                              capacity=tmp_path / "no-cap.json", junit=[], out=tmp_path, title="empty")
    text = render.markdown(report_command.build(args))
    assert "(no results)" in text and "not measured" in text


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
