"""What the API exposes, derived from the deployment rather than listed: the schemas PostgREST
serves (the stack's PGRST_DB_SCHEMAS, and the running target's `pgrst.db_schemas` where it sets
one), and, from the catalog, every relation, function, extension and column that anon or
authenticated can reach through them, with the privileges they hold, at the grain Postgres
grants them (table, column, sequence, function)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg

from spine_harness.config.paths import STACK_DIR
from spine_harness.deployment import service_env

API_ROLES = ("anon", "authenticated")
RELKINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view",
            "f": "foreign table", "S": "sequence"}
KINDS = (*RELKINDS.values(), "function", "extension")
TABLE_PRIVILEGES = ("select", "insert", "update", "delete", "truncate", "references", "trigger")
SEQUENCE_PRIVILEGES = ("usage", "select", "update")
COLUMN_PRIVILEGES = ("select", "insert", "update", "references")

_NOT_AN_EXTENSION_MEMBER = ("not exists (select 1 from pg_depend d where d.classid = {catalog}::regclass"
                            " and d.objid = {oid} and d.deptype = 'e')")


@dataclasses.dataclass(frozen=True)
class Reach:
    """One role's hold on one object."""
    kind: str
    name: str              # schema.relation, schema.function(args), or the extension's name
    role: str
    privileges: frozenset[str]


@dataclasses.dataclass(frozen=True)
class ColumnGrant:
    relation: str
    kind: str
    column: str
    role: str
    privilege: str


@dataclasses.dataclass(frozen=True)
class Exposure:
    schemas: tuple[str, ...]
    reach: tuple[Reach, ...]
    columns: tuple[ColumnGrant, ...]

    def of_kind(self, kind: str) -> list[Reach]:
        return [r for r in self.reach if r.kind == kind]

    def counts(self) -> dict[str, int]:
        """Distinct objects per kind (and columns), for the record."""
        found = {kind: len({r.name for r in self.of_kind(kind)}) for kind in KINDS}
        found["column"] = len({(c.relation, c.column) for c in self.columns})
        return found


def target_schemas(conn: psycopg.Connection) -> list[str]:
    """authenticator's `pgrst.db_schemas`, for the cluster or this database, where it is set."""
    rows = conn.execute(
        "select split_part(cfg, '=', 2) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole,"
        " unnest(s.setconfig) cfg where r.rolname = 'authenticator' and cfg like 'pgrst.db_schemas=%%'"
        " and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))"
        " order by s.setdatabase").fetchall()
    found: list[str] = []
    for (value,) in rows:
        found += [s.strip() for s in value.split(",") if s.strip() and s.strip() not in found]
    return found


def api_schemas(conn: psycopg.Connection, stack_dir: Path = STACK_DIR) -> list[str]:
    """Every schema the API may serve: the stack's, and any more the running target names."""
    found = service_env.api_schemas(stack_dir)
    return found + [s for s in target_schemas(conn) if s not in found]


def _relations(conn: psycopg.Connection, schemas: list[str]) -> list[Reach]:
    rows = conn.execute(
        "select c.relkind::text, format('%%I.%%I', n.nspname, c.relname), r.rolname,"
        " array(select p from unnest(case when c.relkind = 'S' then %(seq)s::text[] else %(tab)s::text[] end) p"
        "   where case when c.relkind = 'S' then has_sequence_privilege(r.oid, c.oid, p)"
        "         else has_table_privilege(r.oid, c.oid, p) end),"
        " c.relkind <> 'S' and has_any_column_privilege(r.oid, c.oid, 'select, insert, update, references')"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace, pg_roles r"
        " where r.rolname = any(%(roles)s) and n.nspname = any(%(schemas)s)"
        " and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and has_schema_privilege(r.oid, n.oid, 'usage')"
        " and " + _NOT_AN_EXTENSION_MEMBER.format(catalog="'pg_class'", oid="c.oid"),
        {"seq": list(SEQUENCE_PRIVILEGES), "tab": list(TABLE_PRIVILEGES), "roles": list(API_ROLES),
         "schemas": schemas}).fetchall()
    return [Reach(RELKINDS[kind], name, role, frozenset(privs)) for kind, name, role, privs, any_column in rows
            if privs or any_column]


def _functions(conn: psycopg.Connection, schemas: list[str]) -> list[Reach]:
    rows = conn.execute(
        "select format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), r.rolname"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace, pg_roles r"
        " where r.rolname = any(%(roles)s) and n.nspname = any(%(schemas)s)"
        " and has_schema_privilege(r.oid, n.oid, 'usage') and has_function_privilege(r.oid, p.oid, 'execute')"
        " and " + _NOT_AN_EXTENSION_MEMBER.format(catalog="'pg_proc'", oid="p.oid"),
        {"roles": list(API_ROLES), "schemas": schemas}).fetchall()
    return [Reach("function", name, role, frozenset({"execute"})) for name, role in rows]


def _extensions(conn: psycopg.Connection, schemas: list[str]) -> list[Reach]:
    """An extension installed into an exposed schema puts its functions, types and tables there."""
    rows = conn.execute(
        "select e.extname, r.rolname from pg_extension e join pg_namespace n on n.oid = e.extnamespace, pg_roles r"
        " where r.rolname = any(%(roles)s) and n.nspname = any(%(schemas)s)"
        " and has_schema_privilege(r.oid, n.oid, 'usage')",
        {"roles": list(API_ROLES), "schemas": schemas}).fetchall()
    return [Reach("extension", name, role, frozenset({"usage"})) for name, role in rows]


def _columns(conn: psycopg.Connection, schemas: list[str]) -> list[ColumnGrant]:
    rows = conn.execute(
        "select format('%%I.%%I', n.nspname, c.relname), c.relkind::text, a.attname, r.rolname, p"
        " from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace,"
        " pg_roles r, unnest(%(privs)s::text[]) p"
        " where r.rolname = any(%(roles)s) and n.nspname = any(%(schemas)s) and a.attnum > 0 and not a.attisdropped"
        " and c.relkind in ('r', 'p', 'v', 'm', 'f') and has_schema_privilege(r.oid, n.oid, 'usage')"
        " and has_column_privilege(r.oid, c.oid, a.attnum, p)"
        " and " + _NOT_AN_EXTENSION_MEMBER.format(catalog="'pg_class'", oid="c.oid") + " order by 1, 3, 4, 5",
        {"privs": list(COLUMN_PRIVILEGES), "roles": list(API_ROLES), "schemas": schemas}).fetchall()
    return [ColumnGrant(rel, RELKINDS[kind], col, role, priv) for rel, kind, col, role, priv in rows]


def enumerate_exposure(conn: psycopg.Connection, schemas: list[str]) -> Exposure:
    reach = _relations(conn, schemas) + _functions(conn, schemas) + _extensions(conn, schemas)
    return Exposure(tuple(schemas), tuple(sorted(reach, key=lambda r: (r.kind, r.name, r.role))),
                    tuple(_columns(conn, schemas)))
