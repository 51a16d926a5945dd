"""Reading what the report is built from. Every input is optional: a missing one is shown as
missing in the report, never silently left out."""
from __future__ import annotations

import collections
import dataclasses
import json
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class BenchRun:
    path: Path
    datetime: str
    machine: str
    means: dict[str, dict[str, float]]   # group -> case -> mean seconds (for the ratios)
    mins: dict[str, dict[str, float]]    # group -> case -> fastest round (for regressions)
    # group -> (case, baseline case) -> median(case) / median(baseline), measured interleaved
    paired: dict[str, dict[tuple[str, str], float]] = dataclasses.field(default_factory=dict)


def read_bench_run(path: Path) -> BenchRun:
    data = json.loads(Path(path).read_text())
    means: dict[str, dict[str, float]] = collections.defaultdict(dict)
    mins: dict[str, dict[str, float]] = collections.defaultdict(dict)
    paired: dict[str, dict[tuple[str, str], float]] = collections.defaultdict(dict)
    for b in data.get("benchmarks", []):
        # A benchmark names its case in extra_info["case"] (e.g. "policy" vs "service_role"); the
        # ratios divide cases of one group.
        case = (b.get("extra_info") or {}).get("case") or b.get("param") or b["name"]
        means[b.get("group") or b["name"]][case] = b["stats"]["mean"]
        mins[b.get("group") or b["name"]][case] = b["stats"].get("min", b["stats"]["mean"])
        extra = b.get("extra_info") or {}
        if extra.get("baseline_median"):
            paired[b.get("group") or b["name"]][(case, extra["baseline_case"])] = \
                b["stats"]["median"] / extra["baseline_median"]
    mi = data.get("machine_info", {})
    machine = f"{mi.get('node', '?')} ({mi.get('cpu', {}).get('count', '?')} CPU, {mi.get('python_version', '?')})"
    return BenchRun(Path(path), data.get("datetime", ""), machine, dict(means), dict(mins), dict(paired))


def saved_bench_runs(storage: Path) -> list[BenchRun]:
    """pytest-benchmark's autosaved runs, oldest first."""
    if not storage.is_dir():
        return []
    runs = [read_bench_run(p) for p in sorted(storage.glob("*/*.json"))]
    return sorted(runs, key=lambda r: r.datetime)


def read_capacity(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None
