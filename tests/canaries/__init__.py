"""Canaries: deliberately broken variants of the target, each of which must make named
conformance checks fail. This is how the harness proves its checks have teeth.

A canary builds its broken target (a scratch database with one SQL change, a copy of stack/
with one file edited, or a server started with one setting wrong), then the named suites run
against it in a separate pytest process attached to those servers, exactly as they would run
against a real deployment. The canary is caught when every check it names fails.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import pkgutil
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ContextManager

from spine_harness.config.paths import CONFORMANCE_DIR, STACK_DIR
from spine_harness.config.settings import Settings
from spine_harness.database.connections import connect
from spine_harness.runs.child import check_id, run_pytest  # noqa: F401  (check_id: for the teeth test)
from spine_harness.runs.records import RunRecord
from spine_harness.runs.redaction import secrets_of
from spine_harness.targets.model import Target

if TYPE_CHECKING:
    from spine_harness.targets.local import LocalSpine


@dataclasses.dataclass
class CanaryEnv:
    """What a canary may break: a copy of the healthy local Spine's servers, never the original.
    A canary that changes what the inner run is told (a broken stack copy, an MFA keyring or
    implementation) puts it in `settings_overrides`, as Settings fields."""

    local: LocalSpine
    workdir: Path
    settings_overrides: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Canary:
    name: str
    breaks: str                       # one line: what is wrong with the broken target
    suites: tuple[str, ...]           # conformance files to run, e.g. ("test_rls_lints.py",)
    must_fail: tuple[str, ...]        # checks that must fail: "file.py::test_name[case]"; `*` matches any run
    broken_target: Callable[[CanaryEnv], ContextManager[Target]]

    def __post_init__(self) -> None:
        for suite in self.suites:
            if not (CONFORMANCE_DIR / suite).exists():
                raise ValueError(f"canary {self.name}: no suite conformance/{suite}")
        for pattern in self.must_fail:
            if pattern.split("::")[0] not in self.suites:
                raise ValueError(f"canary {self.name}: {pattern} is not in its suites {self.suites}")


REGISTRY: dict[str, Canary] = {}


def register(canary: Canary) -> Canary:
    if canary.name in REGISTRY:
        raise ValueError(f"two canaries are named {canary.name!r}")
    REGISTRY[canary.name] = canary
    return canary


def all_canaries() -> dict[str, Canary]:
    """Every canary, from every module of this package (one per conformance area)."""
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return dict(sorted(REGISTRY.items()))


# --- the common kinds of breakage ----------------------------------------------------------------

def _scratch_name(canary_name: str) -> str:
    return "canary_" + re.sub(r"[^a-z0-9_]", "_", canary_name.lower())[:40]


def sql_canary(name: str, breaks: str, sql: str, suites: tuple[str, ...], must_fail: tuple[str, ...]) -> Canary:
    """Break a scratch copy of the database with one SQL script, run as the privileged login."""
    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        with env.local.scratch(_scratch_name(name), label=f"canary:{name}") as target:
            with connect(target.direct_dsn, autocommit=True) as conn:
                conn.execute(sql)
            yield target
    return register(Canary(name, breaks, suites, must_fail, broken))


def stack_canary(name: str, breaks: str, edit: Callable[[Path], None], suites: tuple[str, ...],
                 must_fail: tuple[str, ...]) -> Canary:
    """Break a copy of stack/: `edit` receives the copy's root and changes one thing in it."""
    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        copy = env.workdir / "stack"
        shutil.copytree(STACK_DIR, copy, symlinks=True)
        edit(copy)
        env.settings_overrides["stack_dir"] = copy
        with env.local.scratch(_scratch_name(name), label=f"canary:{name}") as target:
            yield target
    return register(Canary(name, breaks, suites, must_fail, broken))


def replace_in_file(path: Path, old: str, new: str, count: int = 1) -> None:
    """Edit helper for stack canaries: fails loudly if the text to break is not there."""
    text = path.read_text()
    if old not in text:
        raise AssertionError(f"canary edit: {old!r} not found in {path}")
    path.write_text(text.replace(old, new, count))


# --- running the suites against a broken target --------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SuiteRun:
    failed: frozenset[str]     # "file.py::test[case]" of every failed or errored check
    passed: frozenset[str]
    output: str
    exit_code: int
    junit: ET.Element | None   # the run's JUnit report
    record: RunRecord | None   # its results record, for the gate's verdict


def run_suites(target: Target, suites: tuple[str, ...], extra_args: tuple[str, ...] = (),
               settings: Settings | None = None) -> SuiteRun:
    """Run conformance suites in a fresh pytest process attached to `target`."""
    with tempfile.TemporaryDirectory(prefix="spine-canary-") as tmp:
        attach = target.write_attach_file(Path(tmp) / "target.json")
        settings = (settings or Settings()).replace(attach=attach)
        run = run_pytest([f"conformance/{s}" for s in suites], settings, extra_args=("-q", "--no-header", *extra_args),
                         timeout=600, secrets=secrets_of(target))
        failed, passed = run.checks()
        return SuiteRun(failed, passed, run.output, run.exit_code, run.junit, run.record)


@dataclasses.dataclass(frozen=True)
class CanaryResult:
    canary: Canary
    run: SuiteRun
    uncaught: tuple[str, ...]   # must_fail patterns that matched no failed check

    @property
    def caught(self) -> bool:
        return not self.uncaught


def matches(pattern: str, check: str) -> bool:
    """`*` is the only wildcard: brackets in a check id are literal (they hold the case)."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), check) is not None


def selection(must_fail: tuple[str, ...]) -> tuple[str, ...]:
    """`-k` for the test functions a canary names: the others in its files are not its business,
    and some (a Postgres restart under load) take seconds."""
    functions = {p.split("::", 1)[1].split("[", 1)[0] for p in must_fail}
    if any("*" in f for f in functions):
        return ()
    return ("-k", " or ".join(sorted(functions)))


def run_canary(canary: Canary, env: CanaryEnv) -> CanaryResult:
    with canary.broken_target(env) as target:
        settings = Settings().replace(**env.settings_overrides)
        run = run_suites(target, canary.suites, selection(canary.must_fail), settings)
    uncaught = tuple(p for p in canary.must_fail if not any(matches(p, c) for c in run.failed))
    return CanaryResult(canary, run, uncaught)
