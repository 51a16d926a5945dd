"""What a conformance run found, per area: the one place that knows what an area is, how its
outcome counts are read (from pytest's reports or from JUnit), and which verdict word they give.
The terminal summary, the report and the gate all read results through here."""
from __future__ import annotations

import collections
import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

PASS, FAIL, SKIP, INCOMPLETE = "PASS", "FAIL", "SKIP", "INCOMPLETE"


def area_of(nodeid: str) -> str | None:
    """`conformance/test_rls_matrix.py::...` -> `rls_matrix`; None outside conformance/."""
    path = nodeid.split("::", 1)[0]
    if not path.startswith("conformance/"):
        return None
    return Path(path).stem.removeprefix("test_")


def area_of_junit_case(classname: str) -> str | None:
    """A JUnit classname (`conformance.test_rls_matrix`, or with a class after it) -> its area."""
    parts = classname.split(".")
    if len(parts) < 2 or parts[0] != "conformance":
        return None
    return parts[1].removeprefix("test_")


@dataclasses.dataclass(frozen=True)
class AreaResult:
    area: str
    passed: int
    failed: int
    skipped: int
    failures: tuple[str, ...] = ()
    skip_reasons: tuple[str, ...] = ()
    collected: int | None = None     # checks collected in the area, where known

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.skipped

    @property
    def complete(self) -> bool:
        return self.collected is None or self.ran >= self.collected

    @property
    def verdict(self) -> str:
        if self.failed:
            return FAIL
        if not self.complete:
            return INCOMPLETE
        if self.skipped and not self.passed:
            return SKIP
        return PASS


def areas_from_junit(roots: list[ET.Element], collected: dict[str, int] | None = None) -> list[AreaResult]:
    """Pass/fail per conformance area (the test file) from JUnit XML roots."""
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures: dict[str, list[str]] = collections.defaultdict(list)
    reasons: dict[str, set[str]] = collections.defaultdict(set)
    for root in roots:
        for case in root.iter("testcase"):
            area = area_of_junit_case(case.get("classname", ""))
            if area is None:
                continue
            if (bad := case.find("failure")) is not None or (bad := case.find("error")) is not None:
                counts[area]["failed"] += 1
                first_line = (bad.get("message") or "").strip().splitlines()[:1]
                failures[area].append(f"{case.get('name')}: {first_line[0][:200] if first_line else ''}")
            elif (skip := case.find("skipped")) is not None:
                counts[area]["skipped"] += 1
                reasons[area].add((skip.get("message") or "").removeprefix("Skipped: ")[:300])
            else:
                counts[area]["passed"] += 1
    collected = collected or {}
    names = sorted(set(counts) | set(collected))
    return [AreaResult(a, counts[a]["passed"], counts[a]["failed"], counts[a]["skipped"], tuple(failures[a]),
                       tuple(sorted(reasons[a])), collected.get(a)) for a in names]


def conformance_areas(junit_paths: list[Path]) -> list[AreaResult]:
    return areas_from_junit([ET.parse(p).getroot() for p in junit_paths])
