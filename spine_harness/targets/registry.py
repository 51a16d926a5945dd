"""Target name -> the class of that kind, imported only when chosen: the compose kind needs
testcontainers, the local kind Debian's servers, and neither should load for the other. The
registry is the one place that knows every kind, so no kind imports another."""
from __future__ import annotations

import contextlib
import importlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from spine_harness.config.settings import TARGET_NAMES, Settings
from spine_harness.targets.kind import TargetKind
from spine_harness.targets.model import Target, TargetUnavailable

KINDS = {
    "local": "spine_harness.targets.local:LocalSpine",
    "compose": "spine_harness.targets.compose:ComposeSpine",
    "remote": "spine_harness.targets.remote:RemoteDeployment",
}
assert tuple(KINDS) == TARGET_NAMES


def kind_for(settings: Settings) -> TargetKind:
    """The target the settings select: the attach file's servers when one is given."""
    if settings.attach is not None:
        from spine_harness.targets.attached import AttachedTarget
        return AttachedTarget(settings)
    try:
        module, _, cls = KINDS[settings.target].partition(":")
    except KeyError:
        raise TargetUnavailable(f"unknown target {settings.target!r}: choose one of {', '.join(KINDS)}") from None
    return getattr(importlib.import_module(module), cls)(settings)


@contextlib.contextmanager
def started_with_attach_file(settings: Settings, kind: TargetKind | None = None) -> Iterator[tuple[Path, Target]]:
    """The target started (or attached) once, with an attach file for the processes that judge
    it (a child pytest run, locust): the file given, or one written for the run (mode 0600)
    and removed with it. `kind`: a target built by the caller (a local Spine with a run's own
    pooler limits) instead of the one the settings select."""
    with (kind or kind_for(settings)).started() as target:
        if settings.attach is not None:
            yield settings.attach, target
            return
        with tempfile.TemporaryDirectory(prefix="spine-attach-") as tmp:
            yield target.write_attach_file(Path(tmp) / "target.json"), target
