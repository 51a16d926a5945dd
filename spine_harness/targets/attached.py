"""Servers another process started (`python -m spine_harness up`, a canary, the gate), read
from the attach file it wrote."""
from __future__ import annotations

from spine_harness.config.settings import Settings
from spine_harness.targets.kind import ExistingTarget
from spine_harness.targets.model import Target


class AttachedTarget(ExistingTarget):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.target = Target.read_attach_file(settings.attach)
        self.name = self.target.name
