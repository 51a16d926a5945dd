"""What every kind of target is: its capabilities and declared lacks, known before anything is
started (skips are decided from them), and `started()`, which starts it, waits until it is
ready and always stops it again."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from spine_harness.advisors import cli as advisors_cli
from spine_harness.config.settings import Settings
from spine_harness.targets.model import Capability, Target


class TargetKind:
    """One kind of target. Subclasses set `name` and implement `capabilities` and `started`."""

    name: str = ""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @property
    def capabilities(self) -> frozenset[Capability]:
        raise NotImplementedError

    @property
    def lacks(self) -> dict[Capability, str]:
        """Capabilities this kind knows it lacks, with why: the skips strict mode accepts."""
        return {}

    def missing_reason(self, cap: Capability) -> str:
        if cap is Capability.ADVISORS and (tool := advisors_cli.unavailable_reason()):
            return f"target '{self.name}' lacks the {cap.value}: {tool}"
        why = self.lacks.get(cap) or "not available on this machine"
        return f"target '{self.name}' lacks the {cap.value} ({why}); it runs on {cap.provided_by}"

    def started(self) -> contextlib.AbstractContextManager[Target]:
        raise NotImplementedError


class ExistingTarget(TargetKind):
    """A target whose servers exist already (attached, remote): described once, handed over."""

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
