"""Turns Locust's cumulative statistics into windows: every few seconds, what completed since
the previous sample, per request type and name. Works the same on a local runner and on the
master of a distributed run (whose statistics are the workers' merged reports)."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from spine_harness.capacity.stats import TOTAL, Figures, Window, difference

Snapshot = dict[str, tuple[int, int, dict[int, int]]]


def snapshot(stats) -> Snapshot:
    """Copy the counters of a locust RequestStats (entries and total)."""
    snap = {f"{method} {name}": (e.num_requests, e.num_failures, dict(e.response_times))
            for (name, method), e in list(stats.entries.items())}
    snap[TOTAL] = (stats.total.num_requests, stats.total.num_failures, dict(stats.total.response_times))
    return snap


class StatsRecorder:
    def __init__(self, stats, user_count: Callable[[], int], clock: Callable[[], float] = time.monotonic):
        self.stats = stats
        self.user_count = user_count
        self.clock = clock
        self.windows: list[Window] = []
        self.started = self.last_time = clock()
        self.last: Snapshot = snapshot(stats)

    def sample(self) -> Window:
        now, snap = self.clock(), snapshot(self.stats)
        seconds = now - self.last_time
        by_name = {}
        for name, (requests, failures, times) in snap.items():
            before = self.last.get(name, (0, 0, {}))
            if requests < before[0]:          # statistics were reset (web UI): start afresh
                before = (0, 0, {})
            by_name[name] = Figures(requests - before[0], failures - before[1], seconds,
                                    Counter(difference(times, before[2])))
        window = Window(round(now - self.started, 3), seconds, self.user_count(), by_name)
        self.windows.append(window)
        self.last, self.last_time = snap, now
        return window
