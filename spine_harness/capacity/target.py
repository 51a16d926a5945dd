"""Which target a load command or the locustfile runs against: the same configuration the suites
use (an attach file written by `python -m spine_harness up`, or the remote target's variables)."""
from __future__ import annotations

from spine_harness.config.paths import STATE_DIR
from spine_harness.config.settings import Settings
from spine_harness.targets import Target, TargetUnavailable
from spine_harness.targets.registry import kind_for

DEFAULT_ATTACH = STATE_DIR / "attach.json"


def running_target(settings: Settings) -> Target:
    """The target of servers that run already. Local means the ones `python -m spine_harness up`
    started (its attach file): a capacity run must not pay for (or measure) a start of its own."""
    if settings.attach is None and settings.target == "local":
        settings = settings.replace(attach=DEFAULT_ATTACH)
    if settings.attach is None and settings.target != "remote":
        raise TargetUnavailable(f"target '{settings.target}' is started by a run of its own: "
                                "start it, then pass its attach file with --spine-attach")
    with kind_for(settings).started() as target:
        # Attached and remote targets hand over servers that outlive this context.
        return target


def database_dsn(target: Target) -> str:
    """The privileged login for bulk work: straight to Postgres where the target allows it."""
    dsn = target.direct_dsn or target.pooler_dsn
    if dsn is None:
        raise TargetUnavailable(f"target '{target.name}' has no database endpoint")
    return dsn
