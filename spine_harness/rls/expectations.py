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


# Besides the tables: what else anon and authenticated may reach through an exposed schema
# (the `exposed:` section, by kind), and which columns they may write (the `columns:` section).
EXPOSED_KINDS = ("view", "materialized view", "foreign table", "sequence", "function", "extension")
TABLE_KINDS = ("table", "partitioned table")
ALL_COLUMNS = frozenset({"*"})


def _section(kind: str) -> str:
    return kind.replace(" ", "_") + "s"


@dataclasses.dataclass(frozen=True)
class Expectations:
    tables: dict[str, dict[str, dict[str, Outcome]]]
    append_only: frozenset[str]
    # kind -> object -> database role -> privileges it may hold
    exposed: dict[str, dict[str, dict[str, frozenset[str]]]] = dataclasses.field(default_factory=dict)
    # table -> database role -> privilege -> the only columns it may be held on
    columns: dict[str, dict[str, dict[str, frozenset[str]]]] = dataclasses.field(default_factory=dict)

    def cells(self) -> list[Cell]:
        return [Cell(t, a, op, rules[a][op]) for t, rules in self.tables.items() for a in ACTORS for op in OPERATIONS]

    def expected(self, table: str, actor: str, operation: str) -> Outcome:
        return self.tables[table][actor][operation]

    def privileges(self, table: str, role: str) -> frozenset[str]:
        """A role holds a privilege exactly when one of its actors is allowed or filtered."""
        actors = [a for a, r in ACTOR_ROLE.items() if r == role]
        return frozenset(op for op in OPERATIONS for a in actors if self.tables[table][a][op] is not Outcome.DENY)


    def allowed(self, kind: str, name: str, role: str) -> frozenset[str] | None:
        """The privileges `role` may hold on an object anon or authenticated can reach, or None
        when the expectations do not cover the object at all."""
        if kind in TABLE_KINDS:
            return self.privileges(name, role) if name in self.tables else None
        entry = self.exposed.get(kind, {}).get(name)
        return None if entry is None else entry.get(role, frozenset())

    def allowed_columns(self, kind: str, relation: str, role: str, privilege: str) -> frozenset[str]:
        """The columns of `relation` on which `role` may hold `privilege` (ALL_COLUMNS for every
        column): what `columns:` lists, else every column where the table-level outcome allows it."""
        listed = self.columns.get(relation, {}).get(role, {}).get(privilege)
        if listed is not None:
            return listed
        if privilege == "references":
            return frozenset()
        return ALL_COLUMNS if privilege in (self.allowed(kind, relation, role) or ()) else frozenset()


def _privilege_lists(node, where: str) -> dict[str, frozenset[str]]:
    if not isinstance(node, dict):
        raise ValueError(f"{where}: give a mapping of role: [privileges]")
    return {str(role): frozenset(str(p).lower() for p in (privs or [])) for role, privs in node.items()}


def _parse_exposed(data: dict, source: str) -> dict[str, dict[str, dict[str, frozenset[str]]]]:
    section = data.get("exposed") or {}
    known = {_section(k): k for k in EXPOSED_KINDS}
    unknown = set(section) - set(known)
    if unknown:
        raise ValueError(f"{source}: exposed: unknown kinds {sorted(unknown)} (known: {sorted(known)})")
    return {known[key]: {str(name): _privilege_lists(roles or {}, f"{source}: exposed.{key}.{name}")
                         for name, roles in (objects or {}).items()}
            for key, objects in section.items()}


def _parse_columns(data: dict, source: str) -> dict[str, dict[str, dict[str, frozenset[str]]]]:
    found = {}
    for table, roles in (data.get("columns") or {}).items():
        found[str(table)] = {str(role): _privilege_lists(privs or {}, f"{source}: columns.{table}.{role}")
                             for role, privs in (roles or {}).items()}
    return found


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
    return Expectations(tables, frozenset(append_only), _parse_exposed(data, source), _parse_columns(data, source))


@functools.cache
def load(path: Path = RLS_EXPECTATIONS) -> Expectations:
    return parse(yaml.safe_load(Path(path).read_text()), str(path))
