"""Where the suites run: `local`, `compose` or `remote` (or servers given by an attach file).

Every kind hands the suites the same thing, a `Target`: which capabilities it has, which it
declares it lacks (and why), and the endpoints for the ones it has. `registry.kind_for(settings)`
chooses the kind.
"""
from spine_harness.config.settings import TARGET_NAMES
from spine_harness.targets.model import Capability, Target, TargetUnavailable

__all__ = ["Capability", "Target", "TargetUnavailable", "TARGET_NAMES"]
