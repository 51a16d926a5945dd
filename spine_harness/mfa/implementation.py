"""Which implementation the MFA suites exercise: the reference by default.

A canary points the suites at a deliberately broken variant (a verifier that skips the step
check, say) by naming it in SPINE_MFA_IMPLEMENTATION as `module:attribute`; the suites then
run unchanged and must fail. The same hook lets a team try its own service's logic.

What the suites rely on: `sealer(keyring)` seals with AES-256-GCM under the keyring's key of the
version it records; `service(conn, sealer, clock=...)` reads every time it needs from `clock`
(or a call's `at`), and declares `max_failed_attempts`, `lockout` and `drift_steps`, which the
strength suite exercises rather than trusts.
"""
from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping

from spine_harness.mfa.sealing import Sealer
from spine_harness.mfa.service import MfaService

IMPLEMENTATION_VAR = "SPINE_MFA_IMPLEMENTATION"


@dataclasses.dataclass(frozen=True)
class Implementation:
    name: str
    sealer: type[Sealer] = Sealer
    service: type[MfaService] = MfaService


REFERENCE = Implementation("reference")


def from_settings(settings) -> Implementation:
    """The implementation the run's settings name (SPINE_MFA_IMPLEMENTATION), else the reference."""
    return selected({IMPLEMENTATION_VAR: settings.mfa_implementation or ""})


def selected(environ: Mapping[str, str]) -> Implementation:
    spec = environ.get(IMPLEMENTATION_VAR, "").strip()
    if not spec:
        return REFERENCE
    module, sep, attribute = spec.partition(":")
    if not sep:
        raise ValueError(f"{IMPLEMENTATION_VAR}={spec!r} is not 'module:attribute'")
    try:
        found = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{IMPLEMENTATION_VAR}={spec!r} names nothing importable ({exc})") from None
    if not isinstance(found, Implementation):
        raise ValueError(f"{IMPLEMENTATION_VAR}={spec!r} is a {type(found).__name__}, not an Implementation")
    return found
