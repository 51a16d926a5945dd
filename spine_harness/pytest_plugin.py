"""The pytest side of the harness: the `--target` option, one entry fixture (`spine`), the
`needs` marker that skips a test a target cannot serve, strict mode for the gate, and a
closing summary per conformance area.

Loaded by the root conftest.py, so `pytest`, `make conformance` and canary runs share it.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
from pathlib import Path

import pytest

from spine_harness import arguments
from spine_harness.targets import Capability, Target, TargetUnavailable
from spine_harness.targets.providers import Provider, provider_for

_PROVIDER = pytest.StashKey[Provider]()


def _target_name(value: str) -> str:
    try:
        return arguments.target_name(value)
    except argparse.ArgumentTypeError as exc:
        raise pytest.UsageError(f"--target {exc}") from None


def _capability(value: str) -> Capability:
    try:
        return Capability(value)
    except ValueError:
        known = ", ".join(c.value for c in Capability)
        raise pytest.UsageError(f"unknown capability {value!r}: one of {known}") from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spine", "Spine harness")
    group.addoption("--target", type=_target_name, default=None,
                    help="where the suites run: local (default), compose or remote; also SPINE_TARGET")
    group.addoption("--spine-attach", type=Path, default=None, metavar="FILE",
                    help="use servers another process started (a JSON file written by "
                         "`python -m spine_harness up`); also SPINE_ATTACH")
    group.addoption("--strict-capabilities", action="store_true", default=False,
                    help="a test skipped for a missing capability fails, unless the target declares "
                         "it lacks that capability (the pre-deploy gate uses this); also SPINE_STRICT=1")
    group.addoption("--spine-list-checks", type=Path, default=None, metavar="FILE",
                    help="write the collected checks as JSON to FILE (used by the harness's teeth test)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*capabilities): the target capabilities this test requires")
    config.addinivalue_line("markers", "distinct_checks: each parametrized case is its own check and "
                                       "needs its own canary")
    name = config.getoption("--target") or os.environ.get("SPINE_TARGET") or "local"
    attach = config.getoption("--spine-attach") or (Path(os.environ["SPINE_ATTACH"]) if os.environ.get("SPINE_ATTACH") else None)
    try:
        config.stash[_PROVIDER] = provider_for(_target_name(name), attach)
    except TargetUnavailable as exc:
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(AreaSummary(config), "spine-area-summary")


def provider(config: pytest.Config) -> Provider:
    return config.stash[_PROVIDER]


def _strict(config: pytest.Config) -> bool:
    return config.getoption("--strict-capabilities") or os.environ.get("SPINE_STRICT") == "1"


def pytest_runtest_setup(item: pytest.Item) -> None:
    prov = provider(item.config)
    for mark in item.iter_markers("needs"):
        for raw in mark.args:
            cap = _capability(raw.value if isinstance(raw, Capability) else raw)
            if cap in prov.capabilities:
                continue
            reason = prov.missing_reason(cap)
            if _strict(item.config) and cap not in prov.lacks:
                pytest.fail(f"strict: {reason}", pytrace=False)
            pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    out = config.getoption("--spine-list-checks")
    if out is None:
        return
    checks = [{"nodeid": item.nodeid, "function": item.nodeid.split("[", 1)[0],
               "distinct": item.get_closest_marker("distinct_checks") is not None} for item in items]
    out.write_text(json.dumps(checks, indent=1))


@pytest.fixture(scope="session")
def spine_provider(pytestconfig: pytest.Config) -> Provider:
    """How the selected target is reached, before it is started."""
    return provider(pytestconfig)


@pytest.fixture(scope="session")
def spine(spine_provider: Provider) -> Target:
    """The started target: the one entry fixture every suite asks for."""
    try:
        with spine_provider.started() as target:
            yield target
    except TargetUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def stack_dir(spine_provider: Provider) -> Path:
    """The stack definition under test (a canary hands a broken copy); starts no server."""
    return spine_provider.stack_dir


# --- the closing summary ---------------------------------------------------------------------

def area_of(nodeid: str) -> str | None:
    """`conformance/test_rls_matrix.py::...` -> `rls_matrix`; None outside conformance/."""
    path = nodeid.split("::", 1)[0]
    if not path.startswith("conformance/"):
        return None
    return Path(path).stem.removeprefix("test_")


class AreaSummary:
    """Counts outcomes per conformance area and prints one table a person can read."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.areas: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.skip_reasons: dict[str, set[str]] = collections.defaultdict(set)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        area = area_of(report.nodeid)
        if area is None:
            return
        counted = report.when == "call" or (report.when == "setup" and report.outcome != "passed") \
            or (report.when == "teardown" and report.outcome == "failed")
        if counted:
            self.areas[area][report.outcome] += 1
        if report.skipped and isinstance(report.longrepr, tuple):
            self.skip_reasons[area].add(str(report.longrepr[2]).removeprefix("Skipped: "))

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.areas:
            return
        tr = terminalreporter
        tr.section(f"Spine conformance on target '{provider(self.config).name}'")
        tr.write_line(f"{'area':<22}{'passed':>8}{'failed':>8}{'skipped':>9}  verdict")
        for area in sorted(self.areas):
            c = self.areas[area]
            verdict = "FAIL" if c["failed"] else ("SKIP" if c["skipped"] and not c["passed"] else "ok")
            tr.write_line(f"{area:<22}{c['passed']:>8}{c['failed']:>8}{c['skipped']:>9}  {verdict}")
            for reason in sorted(self.skip_reasons.get(area, ())):
                tr.write_line(f"{'':<22}skipped: {reason}")
