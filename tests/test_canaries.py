"""Every canary must be caught: the checks it names fail on its broken target."""
from __future__ import annotations

import pytest

from spine_harness.canary import all_canaries, run_canary

CANARIES = all_canaries()


@pytest.mark.parametrize("canary", CANARIES.values(), ids=list(CANARIES))
def test_canary_is_caught(canary, canary_env):
    result = run_canary(canary, canary_env)
    assert result.caught, (
        f"canary {canary.name} ({canary.breaks}) was not caught: {', '.join(result.uncaught)} did not fail.\n"
        f"failed: {sorted(result.run.failed)}\n--- inner run (exit {result.run.exit_code})\n{result.run.output[-3000:]}")
