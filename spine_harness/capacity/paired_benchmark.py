"""Measuring a ratio on a noisy machine: the baseline runs between every measured round.

On these VMs the speed of the same work drifts by tens of percent over a minute, so two cases
measured one after the other can disagree by more than the effect being measured. Interleaving
them (pytest-benchmark's `setup` hook runs, untimed by it, before each round; we time it
ourselves) exposes both sides to the same drift, and the ratio of their medians is what the
report judges.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def paired(benchmark, measured: Callable[[], object], baseline: Callable[[], object], *, case: str,
           baseline_case: str, rounds: int, warmup_rounds: int = 3):
    """Benchmark `measured`, running `baseline` before each round; record both in extra_info."""
    baseline_times: list[float] = []

    def setup():
        t0 = time.perf_counter()
        baseline()
        baseline_times.append(time.perf_counter() - t0)
        return (), {}

    result = benchmark.pedantic(measured, setup=setup, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
    timed = baseline_times[-rounds:]   # the last `rounds` calls belong to measured rounds, not warm-up
    benchmark.extra_info.update(
        case=case, baseline_case=baseline_case, baseline_rounds=len(timed),
        baseline_median=statistics.median(timed), baseline_mean=statistics.fmean(timed), baseline_min=min(timed))
    return result
