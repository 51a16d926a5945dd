"""Where the suites run: `local`, `compose` or `remote`.

Every target hands the suites the same thing, a `Target`: which capabilities it has, which it
declares it lacks (and why), and the endpoints for the ones it has.
"""
from spine_harness.targets.model import Capability, Target, TargetUnavailable

TARGET_NAMES = ("local", "compose", "remote")

__all__ = ["Capability", "Target", "TargetUnavailable", "TARGET_NAMES"]
