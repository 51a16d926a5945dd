"""The harness's pytest plugin, loaded through the `pytest11` entry point `spine` wherever the
package is installed: the `--spine-*` options, the one entry fixture (`spine`, probed by
preflight before any suite uses it), the `needs` marker that skips a test a target cannot serve,
strict mode for the gate, the mask that keeps every known secret out of pytest's reports, a
closing summary per conformance area, and the results record of every conformance run.
"""
from __future__ import annotations

import collections
import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spine_harness.config.settings import FIELDS, Settings, SettingsError
from spine_harness.runs import records, results
from spine_harness.runs.redaction import MASKER
from spine_harness.targets.kind import TargetKind
from spine_harness.targets.model import Capability, Target, TargetUnavailable
from spine_harness.targets.preflight import TARGET_UNREACHABLE, preflight, unreachable_line
from spine_harness.targets.registry import kind_for

pytest_plugins = ["spine_harness.mfa.fixtures"]

_SETTINGS = pytest.StashKey[Settings]()
_KIND = pytest.StashKey[TargetKind]()
_STARTED = pytest.StashKey[Target]()


def _capability(value: str | Capability) -> Capability:
    try:
        return Capability(value)
    except ValueError:
        known = ", ".join(c.value for c in Capability)
        raise pytest.UsageError(f"unknown capability {value!r}: one of {known}") from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spine", "Spine harness (each option also reads its SPINE_* variable)")
    for field in FIELDS:
        help_text = f"{field.help}; also {field.variable}".replace("%", "%%")
        if field.kind == "flag":
            group.addoption(field.option, action="store_true", default=False, help=help_text)
        else:
            group.addoption(field.option, default=None, metavar=field.name.upper(), help=help_text)
    group.addoption("--spine-list-checks", type=Path, default=None, metavar="FILE",
                    help="write the collected checks as JSON to FILE (used by the harness's teeth test)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*capabilities): the target capabilities this test requires")
    config.addinivalue_line("markers", "distinct_checks: each parametrized case is its own check and "
                                       "needs its own canary")
    cli = {f.name: config.getoption(f.option) for f in FIELDS}
    try:
        settings = Settings.resolve(cli)
        MASKER.register(settings.secrets())
        kind = kind_for(settings)
    except (SettingsError, TargetUnavailable) as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_SETTINGS] = settings
    config.stash[_KIND] = kind
    config.pluginmanager.register(AreaSummary(config), "spine-area-summary")


def settings_of(config: pytest.Config) -> Settings:
    return config.stash[_SETTINGS]


def kind_of(config: pytest.Config) -> TargetKind:
    return config.stash[_KIND]


def pytest_runtest_setup(item: pytest.Item) -> None:
    kind = kind_of(item.config)
    for mark in item.iter_markers("needs"):
        for raw in mark.args:
            cap = _capability(raw)
            if cap in kind.capabilities:
                continue
            reason = kind.missing_reason(cap)
            if settings_of(item.config).strict and cap not in kind.lacks:
                pytest.fail(f"strict: {reason}", pytrace=False)
            pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    out = config.getoption("--spine-list-checks")
    if out is None:
        return
    checks = [{"nodeid": item.nodeid, "function": item.nodeid.split("[", 1)[0],
               "distinct": item.get_closest_marker("distinct_checks") is not None} for item in items]
    out.write_text(json.dumps(checks, indent=1))


# --- the mask on everything pytest reports ---------------------------------------------------

def _mask_report(report) -> None:
    """Replace a report's long representation and captured sections by masked text, so the
    terminal, the short summary and JUnit all see only ****."""
    if not MASKER.secrets:
        return
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):           # a skip: (path, line, reason)
            path, line, reason = report.longrepr
            report.longrepr = (path, line, MASKER(str(reason)))
        else:
            text = str(report.longrepr)
            masked = MASKER(text)
            if masked != text:
                report.longrepr = masked
    report.sections = [(title, MASKER(body)) for title, body in report.sections]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _mask_report(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _mask_report(outcome.get_result())


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def spine_settings(pytestconfig: pytest.Config) -> Settings:
    """The run's configuration (target, attach file, strict mode, stack, MFA keyring...)."""
    return settings_of(pytestconfig)


@pytest.fixture(scope="session")
def spine_kind(pytestconfig: pytest.Config) -> TargetKind:
    """The selected target, before it is started."""
    return kind_of(pytestconfig)


@pytest.fixture(scope="session")
def spine(spine_kind: TargetKind, request: pytest.FixtureRequest) -> Iterator[Target]:
    """The started target: the one entry fixture every suite asks for. A target that cannot be
    reached stops the whole run with one line and exit code 6, not a failure per check."""
    try:
        with spine_kind.started() as target:
            MASKER.register(target.secret_values())
            if problems := preflight(target):
                pytest.exit(MASKER(unreachable_line(target, problems)), returncode=TARGET_UNREACHABLE)
            request.config.stash[_STARTED] = target
            yield target
    except TargetUnavailable as exc:
        pytest.exit(MASKER(str(exc)), returncode=TARGET_UNREACHABLE)


@pytest.fixture(scope="session")
def stack_dir(spine_settings: Settings) -> Path:
    """The stack definition under test (a canary hands a broken copy); starts no server."""
    return spine_settings.stack_dir


@pytest.fixture
def restartable_spine(spine_settings: Settings) -> Callable[..., contextlib.AbstractContextManager[Target]]:
    """A factory of private local Spines a test may stop and restart (the shared one must not
    be): `with restartable_spine(pooler_extra={...}) as (spine, target): ...`. Needs the
    `restartable servers` capability."""
    from spine_harness.targets.local import LocalSpine

    @contextlib.contextmanager
    def private(pooler_extra: dict[str, str] | None = None, label: str = "private"):
        spine = LocalSpine(spine_settings, pooler_extra=pooler_extra, label=label)
        with spine.started() as target:
            yield spine, target
    return private


# --- the closing summary ---------------------------------------------------------------------

class AreaSummary:
    """Counts outcomes per conformance area and prints one table a person can read; an area
    whose checks did not all run (an interrupted run, a -k selection) is INCOMPLETE."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = records.now()
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.collected: collections.Counter = collections.Counter()
        self.skip_reasons: dict[str, set[str]] = collections.defaultdict(set)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            if (area := results.area_of(item.nodeid)) is not None:
                self.collected[area] += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        area = results.area_of(report.nodeid)
        if area is None:
            return
        counted = report.when == "call" or (report.when == "setup" and report.outcome != "passed") \
            or (report.when == "teardown" and report.outcome == "failed")
        if counted:
            self.counts[area][report.outcome] += 1
        if report.skipped and isinstance(report.longrepr, tuple):
            self.skip_reasons[area].add(str(report.longrepr[2]).removeprefix("Skipped: "))

    def areas(self) -> list[results.AreaResult]:
        names = sorted(set(self.counts) | set(self.collected))
        return [results.AreaResult(a, self.counts[a]["passed"], self.counts[a]["failed"], self.counts[a]["skipped"],
                                   skip_reasons=tuple(sorted(self.skip_reasons[a])), collected=self.collected[a])
                for a in names]

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the results record (only for runs that collected conformance checks)."""
        if not self.collected or self.config.option.collectonly:
            return
        settings = settings_of(self.config)
        target = self.config.stash.get(_STARTED, None)
        areas = self.areas()
        complete = int(exitstatus) in (0, 1) and all(a.complete for a in areas)
        xml = getattr(self.config.option, "xmlpath", None)
        record = records.RunRecord(
            target=target.name if target else kind_of(self.config).name, label=target.label if target else "",
            started=self.started, ended=records.now(), commit=records.commit_of(), exit_status=int(exitstatus),
            complete=complete, areas=tuple(areas), junit=str(Path(xml).resolve()) if xml else None)
        try:
            self.record_path = records.write(record, settings.reports_dir)
        except OSError as exc:
            self.record_path = None
            self.record_error = f"{type(exc).__name__}: {exc.strerror or exc}"

    def pytest_terminal_summary(self, terminalreporter) -> None:
        areas = [a for a in self.areas() if a.ran or a.collected]
        if not any(a.ran for a in areas):
            return
        tr = terminalreporter
        target = self.config.stash.get(_STARTED, None)
        tr.section(f"Spine conformance on target '{target.title if target else kind_of(self.config).name}'")
        tr.write_line(f"{'area':<22}{'passed':>8}{'failed':>8}{'skipped':>9}{'of':>6}  verdict")
        for a in areas:
            tr.write_line(f"{a.area:<22}{a.passed:>8}{a.failed:>8}{a.skipped:>9}{a.collected or a.ran:>6}  {a.verdict}")
            for reason in a.skip_reasons:
                tr.write_line(f"{'':<22}skipped: {reason}")
        if path := getattr(self, "record_path", None):
            tr.write_line(f"results record: {path}")
        elif error := getattr(self, "record_error", None):
            tr.write_line(f"results record NOT written: {error}")
