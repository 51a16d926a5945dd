"""Catalog lints in the spirit of Supabase's splinter, over every schema the API exposes.

Only what Supabase's own advisors (conformance/test_advisors.py) do not judge the same way:
policy_exists_rls_disabled, multiple_permissive_policies, function_search_path_mutable and
security_definer_view moved there (the advisors check them over the same schemas or wider).

Each lint is a query returning one row per offending object, so a table added later is judged
the day it appears, without anyone editing a test.
"""
from __future__ import annotations

import dataclasses
import re

from pathlib import Path

import psycopg

from spine_harness.config.paths import STACK_DIR
from spine_harness.rls import exposure



@dataclasses.dataclass(frozen=True)
class Lint:
    name: str
    why: str
    query: str = ""

    def run(self, conn: psycopg.Connection, schemas: list[str]) -> list[str]:
        if self.name == "auth_rls_initplan":
            return _initplan_findings(conn, schemas)
        return [row[0] for row in conn.execute(self.query, {"schemas": schemas}).fetchall()]


def api_schemas(conn: psycopg.Connection, stack_dir: Path = STACK_DIR) -> list[str]:
    """The schemas PostgREST exposes: the stack's PGRST_DB_SCHEMAS and any more the running
    target's authenticator names (exposure.py); never a list of the harness's own."""
    return exposure.api_schemas(conn, stack_dir)


_TABLES = """
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and n.nspname = any(%(schemas)s)
    and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
"""

_API_CAN_REACH = ("(has_table_privilege('anon', c.oid, 'select,insert,update,delete')"
                  " or has_table_privilege('authenticated', c.oid, 'select,insert,update,delete'))")

LINTS: tuple[Lint, ...] = (
    Lint("rls_disabled_in_api_schema",
         "a table the API exposes without row-level security is readable and writable by any key",
         f"select c.oid::regclass::text {_TABLES} and not c.relrowsecurity order by 1"),
    Lint("rls_enabled_no_policy",
         "the API roles hold privileges on a table with RLS on and no policy: an accident either way",
         f"select c.oid::regclass::text {_TABLES} and c.relrowsecurity"
         f" and not exists (select 1 from pg_policy p where p.polrelid = c.oid) and {_API_CAN_REACH} order by 1"),
    Lint("rls_policy_always_true",
         "a permissive policy for the API roles that is just `true` switches RLS off for them",
         "select format('%%I.%%I: %%s', schemaname, tablename, policyname) from pg_policies"
         " where schemaname = any(%(schemas)s) and permissive = 'PERMISSIVE'"
         " and roles && array['public', 'anon', 'authenticated']::name[]"
         " and (qual = 'true' or with_check = 'true') order by 1"),
    Lint("rls_references_user_metadata",
         "user_metadata is editable by the user it describes: a policy that reads it trusts the caller's own word",
         "select format('%%I.%%I: %%s', schemaname, tablename, policyname) from pg_policies"
         " where schemaname = any(%(schemas)s)"
         " and (coalesce(qual, '') ~* 'user_metadata' or coalesce(with_check, '') ~* 'user_metadata') order by 1"),
    Lint("auth_rls_initplan",
         "auth.uid()/auth.jwt()/current_setting() not wrapped in (select ...) is evaluated once per row"),
    Lint("security_definer_executable_by_api_roles",
         "a SECURITY DEFINER function anon or authenticated can call runs with its owner's rights",
         "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
         " where n.nspname = any(%(schemas)s) and p.prosecdef and p.prorettype <> 'trigger'::regtype"
         " and (has_function_privilege('anon', p.oid, 'execute')"
         "      or has_function_privilege('authenticated', p.oid, 'execute'))"
         " and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e') order by 1"),
    Lint("unindexed_foreign_keys",
         "a foreign key without an index makes deletes on the parent scan the child",
         "select format('%%s (%%s)', c.conrelid::regclass, c.conname) from pg_constraint c"
         " join pg_namespace n on n.oid = c.connamespace"
         " where c.contype = 'f' and n.nspname = any(%(schemas)s)"
         " and not exists (select 1 from pg_index i where i.indrelid = c.conrelid"
         "   and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] @> c.conkey"
         "   and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] <@ c.conkey) order by 1"),
    Lint("policy_column_unindexed",
         "a column a USING policy filters on must lead an index, or every request scans the table",
         "select distinct format('%%s.%%I (policy %%I)', pol.polrelid::regclass, a.attname, pol.polname)"
         " from pg_policy pol join pg_class c on c.oid = pol.polrelid"
         " join pg_namespace n on n.oid = c.relnamespace"
         " join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pol.oid"
         "   and d.refobjid = pol.polrelid and d.refobjsubid > 0"
         " join pg_attribute a on a.attrelid = pol.polrelid and a.attnum = d.refobjsubid"
         " where n.nspname = any(%(schemas)s) and pol.polcmd <> 'a'"
         " and not exists (select 1 from pg_index i where i.indrelid = pol.polrelid and i.indkey[0] = a.attnum)"
         " order by 1"),
)

_AUTH_CALL = re.compile(r"auth\.(?:uid|jwt|role|email)\(\)|current_setting\(")


def _initplan_findings(conn: psycopg.Connection, schemas: list[str]) -> list[str]:
    rows = conn.execute(
        "select schemaname, tablename, policyname, coalesce(qual, ''), coalesce(with_check, '')"
        " from pg_policies where schemaname = any(%(schemas)s) order by 1, 2, 3", {"schemas": schemas}).fetchall()
    found = []
    for schema, table, policy, *exprs in rows:
        for expr in exprs:
            for m in _AUTH_CALL.finditer(expr):
                if not re.search(r"SELECT\s+$", expr[:m.start()]):
                    found.append(f"{schema}.{table}: {policy} calls {m.group(0)} per row")
                    break
    return sorted(set(found))


def by_name(name: str) -> Lint:
    return next(lint for lint in LINTS if lint.name == name)
