"""Running conformance suites in a child pytest process: the gate, every canary and
`check-stack` go through `run_pytest`, so a child is always configured the same way (its
settings as SPINE_* variables, nothing inherited) and its output is always masked."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from spine_harness.config.paths import REPO_ROOT
from spine_harness.config.settings import Settings, child_environment
from spine_harness.runs.records import RunRecord, read_all
from spine_harness.runs.redaction import MASKER, redact


@dataclasses.dataclass(frozen=True)
class ChildRun:
    exit_code: int
    output: str                # stdout and stderr, every known secret masked
    junit: ET.Element | None   # the run's JUnit report, if it wrote one
    record: RunRecord | None   # its results record, if it collected conformance checks

    def checks(self) -> tuple[frozenset[str], frozenset[str]]:
        """(failed, passed) checks as `file.py::test[case]`: errors count as failures."""
        failed, passed = set(), set()
        for case in (self.junit.iter("testcase") if self.junit is not None else ()):
            cid = check_id_of_case(case.get("classname", ""), case.get("name", ""))
            if case.find("failure") is not None or case.find("error") is not None:
                failed.add(cid)
            elif case.find("skipped") is None:
                passed.add(cid)
        return frozenset(failed), frozenset(passed)


def check_id(nodeid: str) -> str:
    """A pytest node id -> `file.py::test[case]`."""
    path, _, rest = nodeid.partition("::")
    return f"{Path(path).name}::{rest}"


def check_id_of_case(classname: str, name: str) -> str:
    """A JUnit classname plus name -> `file.py::test[case]`."""
    module = next((p for p in classname.split(".") if p.startswith("test_")), classname.rsplit(".", 1)[-1])
    return f"{module}.py::{name}"


def run_pytest(paths: Sequence[str], settings: Settings, *, junit: Path | None = None,
               extra_args: Sequence[str] = (), timeout: float = 1800, secrets: set[str] = frozenset(),
               capture: bool = True, reports_dir: Path | None = None) -> ChildRun:
    """Run pytest on `paths` (relative to the repository) with `settings`, in a fresh process.

    The JUnit report goes to `junit` (or a temporary file) and the results record to
    `reports_dir` (or a temporary folder, so a canary's run never stands among the operator's
    records); both are read back."""
    with tempfile.TemporaryDirectory(prefix="spine-child-") as tmp:
        junit_path = junit or Path(tmp) / "junit.xml"
        settings = settings.replace(reports_dir=reports_dir or Path(tmp) / "reports")
        cmd = [sys.executable, "-m", "pytest", *paths, "--junitxml", str(junit_path), "-p", "no:cacheprovider",
               *extra_args]
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=child_environment(settings), timeout=timeout,
                              capture_output=capture, text=True)
        output = redact((proc.stdout or "") + (proc.stderr or ""), set(secrets) | MASKER.secrets | settings.secrets())
        root = ET.parse(junit_path).getroot() if junit_path.exists() and junit_path.stat().st_size else None
        found = read_all(settings.reports_dir)
        return ChildRun(proc.returncode, output, root, found[-1] if found else None)
