"""Every canary must be caught: the checks it names fail on its broken target."""
from __future__ import annotations

import pytest

from tests.canaries import all_canaries, run_canary
from spine_harness.runs.predeploy import conformance_verdict

CANARIES = all_canaries()


@pytest.mark.parametrize("canary", CANARIES.values(), ids=list(CANARIES))
def test_canary_is_caught(canary, canary_env):
    result = run_canary(canary, canary_env)
    assert result.caught, (
        f"canary {canary.name} ({canary.breaks}) was not caught: {', '.join(result.uncaught)} did not fail.\n"
        f"failed: {sorted(result.run.failed)}\n--- inner run (exit {result.run.exit_code})\n{result.run.output[-3000:]}")

    # The gate's verdict on the same results: a no that names the area of every check caught.
    ok, detail = conformance_verdict(result.run.record, result.run.exit_code, expected=[])
    assert not ok, f"the gate would let canary {canary.name} through: {detail}"
    for pattern in canary.must_fail:
        area = pattern.split("::")[0].removesuffix(".py").removeprefix("test_")
        assert area in detail, f"the gate's no does not name {area}: {detail}"
