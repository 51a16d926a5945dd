"""The one written statement of who may do what (sql/rls-expectations.yaml), as objects."""
from __future__ import annotations

import dataclasses
import enum
import functools
from pathlib import Path

import yaml

from spine_harness.config.paths import RLS_EXPECTATIONS

ACTORS = ("anon", "owner", "other", "service_role")
OPERATIONS = ("select", "insert", "update", "delete")
# Which database role each actor runs as.
ACTOR_ROLE = {"anon": "anon", "owner": "authenticated", "other": "authenticated", "service_role": "service_role"}


class Outcome(str, enum.Enum):
    ALLOW = "allow"    # succeeds and touches the row
    DENY = "deny"      # SQLSTATE 42501
    FILTER = "filter"  # accepted, zero rows


@dataclasses.dataclass(frozen=True)
class Cell:
    table: str
    actor: str
    operation: str
    expected: Outcome

    @property
    def id(self) -> str:
        return f"{self.table}-{self.actor}-{self.operation}"


@dataclasses.dataclass(frozen=True)
class Expectations:
    tables: dict[str, dict[str, dict[str, Outcome]]]
    append_only: frozenset[str]

    def cells(self) -> list[Cell]:
        return [Cell(t, a, op, rules[a][op]) for t, rules in self.tables.items() for a in ACTORS for op in OPERATIONS]

    def expected(self, table: str, actor: str, operation: str) -> Outcome:
        return self.tables[table][actor][operation]

    def privileges(self, table: str, role: str) -> frozenset[str]:
        """A role holds a privilege exactly when one of its actors is allowed or filtered."""
        actors = [a for a, r in ACTOR_ROLE.items() if r == role]
        return frozenset(op for op in OPERATIONS for a in actors if self.tables[table][a][op] is not Outcome.DENY)


def parse(data: dict, source: str = "expectations") -> Expectations:
    tables: dict[str, dict[str, dict[str, Outcome]]] = {}
    append_only = set()
    for table, rules in (data.get("tables") or {}).items():
        if rules.pop("append_only", False):
            append_only.add(table)
        missing = [a for a in ACTORS if a not in rules]
        if missing:
            raise ValueError(f"{source}: {table} has no row for {', '.join(missing)}")
        tables[table] = {}
        for actor in ACTORS:
            ops = rules[actor]
            if set(ops) != set(OPERATIONS):
                raise ValueError(f"{source}: {table}/{actor} must give exactly {', '.join(OPERATIONS)}")
            tables[table][actor] = {op: Outcome(ops[op]) for op in OPERATIONS}
    return Expectations(tables, frozenset(append_only))


@functools.cache
def load(path: Path = RLS_EXPECTATIONS) -> Expectations:
    return parse(yaml.safe_load(Path(path).read_text()), str(path))
