"""Latency figures per time window and per load stage, computed from Locust's own response-time
histograms (rounded milliseconds -> count), so the report and Locust's statistics agree.

Percentiles come from the requests completed inside a window or stage, not from a moving
average over the whole run, so a late slowdown is not diluted by a fast start.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping

TOTAL = "all requests"


def percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """The smallest recorded time at or below which `fraction` of the requests finished."""
    total = sum(histogram.values())
    if total == 0:
        return None
    needed = fraction * total
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= needed:
            return float(ms)
    return float(max(histogram))


def difference(later: Mapping[int, int], earlier: Mapping[int, int]) -> Counter:
    """The requests recorded between two snapshots of one cumulative histogram."""
    diff = Counter(later)
    diff.subtract(earlier)
    return Counter({ms: n for ms, n in diff.items() if n > 0})


@dataclasses.dataclass(frozen=True)
class Figures:
    """Throughput and latency of one request name over some span of the run."""

    requests: int
    failures: int
    seconds: float
    histogram: Counter

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def p(self, fraction: float) -> float | None:
        return percentile(self.histogram, fraction)

    def as_dict(self) -> dict:
        return {"requests": self.requests, "failures": self.failures, "rps": round(self.rps, 1),
                "p50_ms": self.p(0.50), "p95_ms": self.p(0.95), "p99_ms": self.p(0.99)}

    @classmethod
    def combine(cls, parts: Iterable["Figures"], seconds: float) -> "Figures":
        parts = list(parts)
        return cls(sum(p.requests for p in parts), sum(p.failures for p in parts), seconds,
                   sum((p.histogram for p in parts), Counter()))


@dataclasses.dataclass(frozen=True)
class Window:
    """What happened between two samples: at `end` seconds into the run, with `users` running."""

    end: float
    seconds: float
    users: int
    by_name: dict[str, Figures]


@dataclasses.dataclass(frozen=True)
class Stage:
    """Consecutive windows at one user count: one step of the ramp."""

    users: int
    start: float
    end: float
    by_name: dict[str, Figures]


def stages(windows: list[Window]) -> list[Stage]:
    groups: list[list[Window]] = []
    for w in windows:
        if groups and groups[-1][-1].users == w.users:
            groups[-1].append(w)
        else:
            groups.append([w])
    result = []
    for group in groups:
        # The first window of a stage also holds the end of the previous one and the step itself:
        # where the stage has others, its figures come from those alone.
        measured = group[1:] or group
        seconds = sum(w.seconds for w in measured)
        names = sorted({n for w in measured for n in w.by_name})
        result.append(Stage(group[0].users, max(0.0, round(group[0].end - group[0].seconds, 3)), group[-1].end,
                            {n: Figures.combine((w.by_name[n] for w in measured if n in w.by_name), seconds)
                             for n in names}))
    return result


@dataclasses.dataclass(frozen=True)
class SloVerdict:
    name: str
    slo_p95_ms: float
    crossed_at_users: int | None       # the first stage whose p95 is above the SLO
    crossed_p95_ms: float | None
    capacity_users: int | None         # the last stage before that, still within the SLO
    capacity_rps: float | None

    def sentence(self) -> str:
        if self.crossed_at_users is None and self.capacity_users is None:
            return f"{self.name}: no requests were measured under load"
        if self.crossed_at_users is None:
            return (f"{self.name}: p95 stayed within {self.slo_p95_ms:g} ms up to {self.capacity_users} users "
                    f"({self.capacity_rps or 0:.0f} req/s); the run never reached the SLO")
        before = (f"; within it at {self.capacity_users} users ({self.capacity_rps:.0f} req/s)"
                  if self.capacity_users is not None else "; already at the first stage")
        return (f"{self.name}: p95 crossed {self.slo_p95_ms:g} ms at {self.crossed_at_users} users "
                f"(p95 {self.crossed_p95_ms:g} ms){before}")


def slo_verdict(all_stages: list[Stage], name: str, slo_p95_ms: float) -> SloVerdict:
    """Where, along the ramp, `name`'s p95 first exceeds the SLO. Stages without users or without
    requests of that name say nothing and are passed over."""
    capacity: Stage | None = None
    for stage in all_stages:
        figures = stage.by_name.get(name)
        if stage.users == 0 or figures is None or figures.requests == 0:
            continue
        p95 = figures.p(0.95)
        if p95 is not None and p95 > slo_p95_ms:
            return SloVerdict(name, slo_p95_ms, stage.users, p95, capacity and capacity.users,
                              capacity and capacity.by_name[name].rps)
        capacity = stage
    return SloVerdict(name, slo_p95_ms, None, None, capacity and capacity.users,
                      capacity and capacity.by_name[name].rps)
