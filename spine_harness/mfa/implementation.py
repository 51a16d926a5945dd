"""Which implementation the MFA suites exercise: the reference by default.

A canary points the suites at a deliberately broken variant (a verifier that skips the step
check, say) by naming it in SPINE_MFA_IMPLEMENTATION as `module:attribute`; the suites then
run unchanged and must fail. The same hook lets a team try its own service's logic.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
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


def selected(environ: Mapping[str, str] | None = None) -> Implementation:
    spec = (os.environ if environ is None else environ).get(IMPLEMENTATION_VAR, "").strip()
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
