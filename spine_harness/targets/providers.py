"""Choosing a target and knowing its capabilities before anything is started.

Skips are decided at setup from these static facts; the servers start only when a test first
asks for the `spine` fixture, so a run that needs no server (the static suite) starts none.
"""
from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from spine_harness.paths import STACK_DIR
from spine_harness.targets.model import Capability, Target, TargetUnavailable


class Provider:
    """Static facts about one target, and how to bring it up."""

    name: str = ""
    stack_dir: Path = STACK_DIR

    @property
    def capabilities(self) -> frozenset[Capability]:
        raise NotImplementedError

    @property
    def lacks(self) -> dict[Capability, str]:
        return {}

    def missing_reason(self, cap: Capability) -> str:
        why = self.lacks.get(cap) or "not available on this machine"
        return f"target '{self.name}' lacks the {cap.value} ({why}); it runs on {cap.provided_by}"

    @contextlib.contextmanager
    def started(self) -> Iterator[Target]:
        raise NotImplementedError
        yield


class LocalProvider(Provider):
    name = "local"

    @property
    def capabilities(self) -> frozenset[Capability]:
        from spine_harness.targets.local import local_capabilities
        return local_capabilities()

    @property
    def lacks(self) -> dict[Capability, str]:
        from spine_harness.targets.local import LOCAL_LACKS
        return dict(LOCAL_LACKS)

    def missing_reason(self, cap: Capability) -> str:
        from spine_harness.targets.local import firewall_host_reason
        if cap is Capability.FIREWALL_HOST and (why := firewall_host_reason()):
            return f"target 'local' lacks the firewall host ({why}); it runs on {cap.provided_by}"
        return super().missing_reason(cap)

    @contextlib.contextmanager
    def started(self) -> Iterator[Target]:
        from spine_harness.targets.local import LocalSpine
        with LocalSpine() as target:
            yield target


class FixedTargetProvider(Provider):
    """A target whose servers exist already: described once, handed over as they are."""

    target: Target

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.target.capabilities

    @property
    def lacks(self) -> dict[Capability, str]:
        return self.target.lacks

    @contextlib.contextmanager
    def started(self) -> Iterator[Target]:
        yield self.target


class AttachedProvider(FixedTargetProvider):
    """Servers another process started (`python -m spine_harness up`, or a canary run)."""

    def __init__(self, path: Path) -> None:
        self.target = Target.read_attach_file(path)
        self.name = self.target.name
        self.stack_dir = self.target.stack_dir


class UnavailableProvider(Provider):
    """A recognised target that cannot run here; every capability skips with the reason."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset()

    def missing_reason(self, cap: Capability) -> str:
        return f"target '{self.name}' is unavailable: {self.reason}"

    @contextlib.contextmanager
    def started(self) -> Iterator[Target]:
        raise TargetUnavailable(f"target '{self.name}' is unavailable: {self.reason}")
        yield


def provider_for(name: str, attach: Path | None = None) -> Provider:
    if attach is not None:
        return AttachedProvider(attach)
    if name == "local":
        return LocalProvider()
    if name == "compose":
        from spine_harness.targets.compose import provider
        return provider()
    if name == "remote":
        from spine_harness.targets.remote import RemoteProvider
        return RemoteProvider()
    raise TargetUnavailable(f"unknown target {name!r}: choose local, compose or remote")


@contextlib.contextmanager
def started_with_attach_file(name: str = "local", attach: Path | None = None) -> Iterator[tuple[Path, Target]]:
    """The target started (or attached) once, with an attach file for the processes that judge
    it (pytest --spine-attach, locust): the file given, or one written for the run (mode 0600)
    and removed with it."""
    with provider_for(name, attach).started() as target:
        if attach is not None:
            yield attach, target
            return
        with tempfile.TemporaryDirectory(prefix="spine-attach-") as tmp:
            yield target.write_attach_file(Path(tmp) / "target.json"), target
