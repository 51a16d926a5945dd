"""The capacity report's arithmetic and files, on made-up statistics (no Locust, no servers)."""
from __future__ import annotations

import argparse
import json
from collections import Counter
from types import SimpleNamespace

import pytest

from spine_harness.capacity import options, capacity_report as report
from spine_harness.capacity.recorder import StatsRecorder
from spine_harness.capacity.sampling import ServerSample, parse_mem_usage
from spine_harness.capacity.stats import TOTAL, Figures, Window, percentile, slo_verdict, stages


def figures(times: dict[int, int], seconds: float = 1.0, failures: int = 0) -> Figures:
    return Figures(sum(times.values()), failures, seconds, Counter(times))


def test_percentile_reads_the_histogram():
    hist = {1: 90, 50: 5, 200: 5}
    assert (percentile(hist, 0.5), percentile(hist, 0.95), percentile(hist, 0.99)) == (1.0, 50.0, 200.0)
    assert percentile({}, 0.95) is None


def ramp(*p95_by_stage: int) -> list[Window]:
    """Two windows per stage at 10, 20, 30... users; 100 requests per window, the slowest 10% set p95."""
    windows, t = [], 0.0
    for i, slow in enumerate(p95_by_stage):
        for _ in range(2):
            t += 1
            windows.append(Window(t, 1.0, 10 * (i + 1), {TOTAL: figures({2: 90, slow: 10})}))
    return windows


def test_stages_group_windows_by_user_count_leaving_out_each_step():
    result = stages(ramp(5, 5, 300))
    assert [(s.users, s.start, s.end, s.by_name[TOTAL].requests, s.by_name[TOTAL].rps) for s in result] == \
        [(10, 0.0, 2.0, 100, 100.0), (20, 2.0, 4.0, 100, 100.0), (30, 4.0, 6.0, 100, 100.0)]


def test_slo_crossing_is_the_first_stage_above_it():
    verdict = slo_verdict(stages(ramp(5, 80, 300, 40)), TOTAL, 100)
    assert (verdict.crossed_at_users, verdict.crossed_p95_ms, verdict.capacity_users) == (30, 300.0, 20)
    assert "crossed 100 ms at 30 users" in verdict.sentence()


def test_slo_never_crossed_says_so():
    verdict = slo_verdict(stages(ramp(5, 6)), TOTAL, 100)
    assert verdict.crossed_at_users is None and verdict.capacity_users == 20
    assert "never reached" in verdict.sentence()


def test_recorder_counts_only_what_happened_in_each_window():
    entry = SimpleNamespace(num_requests=0, num_failures=0, response_times={})
    stats = SimpleNamespace(entries={("profile read", "psycopg"): entry}, total=entry)
    clock = iter([0.0, 2.0, 4.0]).__next__
    recorder = StatsRecorder(stats, lambda: 5, clock)
    entry.num_requests, entry.response_times = 10, {3: 10}
    first = recorder.sample()
    entry.num_requests, entry.num_failures, entry.response_times = 30, 1, {3: 10, 90: 20}
    second = recorder.sample()
    assert first.by_name["psycopg profile read"].rps == 5.0
    assert (second.by_name[TOTAL].requests, second.by_name[TOTAL].failures,
            second.by_name[TOTAL].p(0.5)) == (20, 1, 90.0)


def test_report_files(tmp_path):
    windows = ramp(5, 300)
    server = [ServerSample(1.0, {"cl_active": 10, "cl_waiting": 2, "sv_active": 5}, {"active": 5},
                           {"db": 300.0, "supavisor": 4.0})]
    run = report.CapacityRun("local", 100, windows, server, ["memory: example note"], "a test ramp")
    files = report.write(run, tmp_path / "capacity")
    assert all(f.exists() for f in files)
    data = json.loads((tmp_path / "capacity" / "capacity.json").read_text())
    assert data["verdicts"][0]["crossed_at_users"] == 20
    assert data["server"]["memory"]["db"] == {"peak_mib": 300.0, "limit_mib": 8192, "share_of_limit": 0.0366}
    page = (tmp_path / "capacity" / "capacity.html").read_text()
    assert page.count("data:image/png;base64,") == 5 and "memory: example note" in page


@pytest.mark.parametrize("value", ["10,5", "0,5", "a,b"])
def test_bad_ramp_is_refused_with_one_sentence(value):
    with pytest.raises(argparse.ArgumentTypeError, match="rising user counts"):
        options.ramp(value)


def test_docker_memory_figures():
    assert parse_mem_usage("512MiB / 8GiB") == 512
    assert parse_mem_usage("1.5GiB / 8GiB") == 1536
    with pytest.raises(ValueError, match="unrecognised"):
        parse_mem_usage("lots")
