"""What fails: every security finding at ERROR or WARN; a performance finding at WARN unless the
reviewed allowlist names it; INFO findings never (they go to the report)."""
from __future__ import annotations

from spine_harness.advisors.allowlist import Allowed
from spine_harness.advisors.catalog import AdvisorLint
from spine_harness.advisors.cli import Finding

FAILING_LEVELS = ("ERROR", "WARN")


def failing(lint: AdvisorLint, findings: list[Finding], allowed: tuple[Allowed, ...]) -> list[Finding]:
    out = []
    for f in findings:
        if f.level not in FAILING_LEVELS:
            continue
        security = "SECURITY" in f.categories or lint.category == "SECURITY"
        if not security and any(a.covers(f.name, f.object) for a in allowed):
            continue
        out.append(f)
    return out
