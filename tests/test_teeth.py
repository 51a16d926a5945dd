"""No conformance check without teeth: each is named by at least one canary that makes it fail.

A check is a test function; for a function marked `distinct_checks` (the lints, say) each
parametrized case is a check of its own and needs its own canary.
"""
from __future__ import annotations

import json
import subprocess
import sys

from tests.canaries import all_canaries, check_id, matches
from spine_harness.config.paths import REPO_ROOT

# Checks proven some other way, with where. Keep this short: it is a list of debts.
PROVEN_ELSEWHERE: dict[str, str] = {
    "test_gateway_routes.py::*": "proven against the double in tests/test_gateway_routes.py",
    "test_gateway_attacks.py::*": "proven against the double in tests/test_gateway_attacks.py",
    "test_gateway_rest.py::*": "proven against the double in tests/test_gateway_rest.py",
    "test_upstream_smoke.py::*": "proven against the double in tests/test_upstream_smoke.py",
    "test_storage_gateway.py::*": "NOT proven: needs Storage behind a gateway (compose or remote); its cells are"
                                  " the Storage matrix's, which canaries prove on local",
    "test_realtime_gateway.py::*": "NOT proven: needs Realtime behind a gateway (compose or remote); its joins are"
                                   " the Realtime matrix's, which canaries prove on local",
}


def collected_checks(tmp_path) -> list[dict]:
    out = tmp_path / "checks.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q", "-p", "no:cacheprovider",
         "--spine-list-checks", str(out)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def test_every_check_has_a_canary(tmp_path):
    patterns = [p for c in all_canaries().values() for p in c.must_fail]
    checks = collected_checks(tmp_path)
    assert checks, "no conformance checks were collected"
    toothless = set()
    for check in checks:
        unit = check_id(check["nodeid"] if check["distinct"] else check["function"])
        if any(matches(p, unit) for p in PROVEN_ELSEWHERE):
            continue
        named = [p for p in patterns if matches(p, check_id(check["nodeid"]))]
        if not named:
            toothless.add(unit)
    # A function is covered when any of its cases is named (unless its cases are distinct checks).
    covered_functions = {check_id(c["function"]) for c in checks if not c["distinct"]
                         and any(matches(p, check_id(c["nodeid"])) for p in patterns)}
    toothless = sorted(t for t in toothless if t not in covered_functions)
    assert not toothless, "checks no canary makes fail:\n  " + "\n  ".join(toothless)


def test_canary_patterns_name_real_checks(tmp_path):
    """A typo in a canary's must_fail would otherwise pass as 'not caught' only at run time."""
    ids = [check_id(c["nodeid"]) for c in collected_checks(tmp_path)]
    dangling = [f"{c.name}: {p}" for c in all_canaries().values() for p in c.must_fail
                if not any(matches(p, i) for i in ids)]
    assert not dangling, "canaries name checks that do not exist:\n  " + "\n  ".join(dangling)
