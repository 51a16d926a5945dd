"""The reviewed exceptions to the performance advisors (sql/advisors-allowlist.yaml): a WARN
finding named there, with a reason, does not fail its check. Security findings are never
allowed: there is no exception for them."""
from __future__ import annotations

import dataclasses
import fnmatch
from pathlib import Path

import yaml

from spine_harness.config.paths import SQL_DIR

ALLOWLIST = SQL_DIR / "advisors-allowlist.yaml"


@dataclasses.dataclass(frozen=True)
class Allowed:
    lint: str
    object: str      # schema.name, `*` wildcards allowed
    reason: str

    def covers(self, lint: str, obj: str) -> bool:
        return self.lint == lint and fnmatch.fnmatchcase(obj, self.object)


def parse(data, source: str, security_lints: set[str]) -> tuple[Allowed, ...]:
    entries = (data or {}).get("allow") or []
    if not isinstance(entries, list):
        raise ValueError(f"{source}: `allow` must be a list")
    out = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not all(isinstance(e.get(k), str) and e[k].strip()
                                              for k in ("lint", "object", "reason")):
            raise ValueError(f"{source}: entry {i + 1} needs lint, object and a reason")
        if e["lint"] in security_lints:
            raise ValueError(f"{source}: entry {i + 1} allows the security lint {e['lint']}: "
                             "security findings are fixed, never allowed")
        out.append(Allowed(e["lint"], e["object"], e["reason"].strip()))
    return tuple(out)


def load(path: Path = ALLOWLIST, security_lints: set[str] = frozenset()) -> tuple[Allowed, ...]:
    if not Path(path).exists():
        return ()
    return parse(yaml.safe_load(Path(path).read_text()), str(path), set(security_lints))
