"""Which target a load command or the locustfile runs against: the same configuration the suites
use (an attach file written by `python -m spine_harness up`, or the remote target's variables)."""
from __future__ import annotations

from pathlib import Path

from spine_harness.paths import STATE_DIR
from spine_harness.targets import TARGET_NAMES, Target, TargetUnavailable
from spine_harness.targets.providers import provider_for

DEFAULT_ATTACH = STATE_DIR / "attach.json"


def resolve(name: str = "local", attach: Path | None = None) -> Target:
    """The started target. Local means servers someone already started: a capacity run must not
    pay for (or measure) a server start of its own."""
    if name not in TARGET_NAMES:
        raise TargetUnavailable(f"unknown target {name!r}: choose one of {', '.join(TARGET_NAMES)}")
    if attach is None and name == "local":
        attach = DEFAULT_ATTACH
    provider = provider_for(name, attach)
    with provider.started() as target:
        # Attached and remote providers hand over servers that outlive this context.
        return target


def database_dsn(target: Target) -> str:
    """The privileged login for bulk work: straight to Postgres where the target allows it."""
    dsn = target.direct_dsn or target.pooler_dsn
    if dsn is None:
        raise TargetUnavailable(f"target '{target.name}' has no database endpoint")
    return dsn
