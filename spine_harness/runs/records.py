"""Results records: one JSON file per conformance run, saying where its verdict came from (the
target and its label, start and end, the commit, which areas were collected and how each came
out, and whether the run was complete). The report and the gate read records, never loose JUnit
files, so a stale run, another target's run or an interrupted run cannot pass for a fresh one.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
from pathlib import Path

from spine_harness.config.paths import CONFORMANCE_DIR, REPO_ROOT
from spine_harness.runs.results import FAIL, INCOMPLETE, PASS, AreaResult

RUNS_DIR = "runs"
MISSING = "MISSING"


def commit_of(root: Path = REPO_ROOT) -> str:
    """The checked-out commit, with `+dirty` when the work tree has changes; `unknown` outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def all_areas(conformance_dir: Path = CONFORMANCE_DIR) -> list[str]:
    """Every conformance area the checkout defines: what a complete picture must include."""
    return sorted(p.stem.removeprefix("test_") for p in conformance_dir.glob("test_*.py"))


@dataclasses.dataclass(frozen=True)
class RunRecord:
    target: str                 # the kind: local, compose, remote
    label: str                  # e.g. the attach file's label, "canary:..."; may be ""
    started: str                # ISO 8601, UTC
    ended: str
    commit: str
    exit_status: int
    complete: bool              # every collected check ran and pytest was not interrupted
    areas: tuple[AreaResult, ...]
    junit: str | None = None
    path: Path | None = None

    @property
    def title(self) -> str:
        return f"{self.target} ({self.label})" if self.label else self.target

    @property
    def provenance(self) -> str:
        state = "complete" if self.complete else "INCOMPLETE (interrupted or partly run)"
        return f"target {self.title}, {self.started} to {self.ended}, commit {self.commit}, {state}"

    def verdicts(self, expected: list[str] | None = None) -> dict[str, str]:
        """Area -> verdict; an expected area the run did not collect is MISSING."""
        found = {a.area: a.verdict for a in self.areas}
        for area in expected or ():
            found.setdefault(area, MISSING)
        return dict(sorted(found.items()))

    def failing(self, expected: list[str] | None = None) -> list[str]:
        """Areas that keep this run from passing: failed, incomplete or missing ones."""
        return [f"{a} ({v.lower()})" for a, v in self.verdicts(expected).items() if v in (FAIL, INCOMPLETE, MISSING)]

    def passes(self, expected: list[str] | None = None) -> bool:
        return self.complete and self.exit_status == 0 and not self.failing(expected)

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data.pop("path")
        data["areas"] = [dataclasses.asdict(a) | {"verdict": a.verdict} for a in self.areas]
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str, path: Path | None = None) -> "RunRecord":
        data = json.loads(text)
        fields = {f.name for f in dataclasses.fields(AreaResult)}
        areas = tuple(AreaResult(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in a.items() if k in fields})
                      for a in data.pop("areas"))
        return cls(**data, areas=areas, path=path)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def write(record: RunRecord, reports_dir: Path) -> Path:
    folder = Path(reports_dir) / RUNS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = record.started.replace(":", "").replace("-", "").replace("+0000", "Z")
    path = folder / f"{stamp}-{record.target}-{os.getpid()}.json"
    path.write_text(record.to_json())
    return path


def read_all(reports_dir: Path) -> list[RunRecord]:
    """Every record under reports_dir/runs, oldest first; unreadable files are passed over."""
    folder = Path(reports_dir) / RUNS_DIR
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            found.append(RunRecord.from_json(path.read_text(), path))
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda r: r.started)


def latest_per_target(records: list[RunRecord]) -> dict[str, RunRecord]:
    """The newest run of each target (kind plus label): never two targets added together."""
    latest: dict[str, RunRecord] = {}
    for record in records:
        latest[record.title] = record
    return dict(sorted(latest.items()))


def latest_complete(records: list[RunRecord], title: str) -> RunRecord | None:
    complete = [r for r in records if r.title == title and r.complete]
    return complete[-1] if complete else None


__all__ = ["RunRecord", "PASS", "FAIL", "INCOMPLETE", "MISSING", "all_areas", "commit_of", "read_all",
           "latest_per_target", "latest_complete", "write", "now"]
