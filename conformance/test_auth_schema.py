"""The auth schema stays GoTrue's: no route by which the API roles read an auth table
(auth.users, auth.sessions, auth.mfa_factors and every other table the schema holds, read
from the catalog): no privilege on them, no view they may read that selects from them (through
other views too), no SECURITY DEFINER function they may call that reads them."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.needs("database")

API_ROLES = ("anon", "authenticated")
TABLE_PRIVILEGES = "select, insert, update, delete, truncate, references, trigger"


def auth_tables(conn) -> list[tuple[int, str]]:
    return conn.execute(
        "select c.oid, c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'auth' and c.relkind in ('r', 'p', 'v', 'm', 'f') order by 2").fetchall()


@pytest.mark.parametrize("role", API_ROLES)
def test_no_privilege_on_auth_tables(role, admin_conn):
    held = []
    for oid, name in auth_tables(admin_conn):
        privs = [p.strip() for p in TABLE_PRIVILEGES.split(",")
                 if admin_conn.execute("select has_table_privilege(%s, %s::oid, %s)", (role, oid, p.strip())).fetchone()[0]]
        cols = admin_conn.execute(
            "select string_agg(attname, ', ') from pg_attribute where attrelid = %s and attnum > 0"
            " and not attisdropped and has_column_privilege(%s, attrelid, attnum, 'select,insert,update,references')",
            (oid, role)).fetchone()[0]
        if privs or cols:
            held.append(f"{name}: {', '.join(privs) or 'columns ' + cols}")
    assert not held, f"{role} holds privileges on auth tables:\n  " + "\n  ".join(held)


# Views (and materialized views) outside auth whose rewrite rule depends on an auth relation,
# directly or through other views.
_VIEWS_OVER_AUTH = """
with recursive reads(view_oid, source) as (
  select distinct r.ev_class, d.refobjid
  from pg_rewrite r join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
  where d.refclassid = 'pg_class'::regclass and d.refobjid <> r.ev_class
), reaches(view_oid, auth_rel) as (
  select view_oid, source from reads
  where source in (select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'auth')
  union
  select r.view_oid, x.auth_rel from reads r join reaches x on x.view_oid = r.source
)
select distinct v.oid::regclass::text, a.auth_rel::regclass::text
from reaches a join pg_class v on v.oid = a.view_oid join pg_namespace n on n.oid = v.relnamespace
where n.nspname not in ('auth', 'pg_catalog', 'information_schema')
  and (has_table_privilege('anon', v.oid, 'select') or has_table_privilege('authenticated', v.oid, 'select'))
order by 1, 2
"""


def test_no_view_reads_auth_tables(admin_conn):
    found = [f"{view} reads {rel}" for view, rel in admin_conn.execute(_VIEWS_OVER_AUTH).fetchall()]
    assert not found, "views the API roles may read that select from the auth schema:\n  " + "\n  ".join(found)


def test_no_definer_function_reads_auth_tables(admin_conn):
    """SECURITY DEFINER runs with its owner's rights: one the API roles can call must not read an
    auth table (function bodies are not in pg_depend, so their text is searched for each name)."""
    names = [name for _, name in auth_tables(admin_conn)]
    rows = admin_conn.execute(
        "select p.oid::regprocedure::text, lower(p.prosrc) from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where p.prosecdef and n.nspname not in ('auth', 'pg_catalog', 'information_schema')"
        " and p.prorettype <> 'trigger'::regtype"
        " and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))"
        " order by 1").fetchall()
    found = [f"{fn} reads {name}" for fn, src in rows for name in names
             if name.lower() in src or name.lower().replace("auth.", "auth.\"") in src]
    assert not found, "SECURITY DEFINER functions the API roles may call that read auth tables:\n  " + "\n  ".join(found)
