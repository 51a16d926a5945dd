"""The remote path end to end: a real local Spine described only through SPINE_* variables, as
an operator's staging is, judged by the conformance suites and the gate with TARGET=remote.

Read-only by default, proven by what the database says: every table's row count and checksum
and the database's tuple counters are the same before and after. With SPINE_ALLOW_WRITES=1 the
suites write (the counters move) but only their own marked rows, all gone afterwards.
"""
from __future__ import annotations

import subprocess
import sys
import time

import psycopg
import pytest
from psycopg import sql

from spine_harness.config.paths import REPO_ROOT
from spine_harness.database.connections import connect
from spine_harness.rls.seed import MARK_DOMAIN

SKIP_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@pytest.fixture
def remote(local_spine):
    """A scratch clone of the local Spine, and the SPINE_* variables that describe it."""
    with local_spine.scratch("remote_path", label="remote-path") as target:
        env = {"SPINE_TARGET": "remote", "SPINE_DB_URL": target.direct_dsn, "SPINE_POOLER_URL": target.pooler_dsn,
               "SPINE_API_DB_URL": target.api_dsn, "SPINE_JWT_SECRET": target.jwt_secret,
               "SPINE_ANON_KEY": target.anon_key, "SPINE_SERVICE_ROLE_KEY": target.service_role_key}
        yield target, env


def run(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path), "SPINE_REPORTS": str(tmp_path / "reports")}
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO_ROOT, env=base | env, capture_output=True,
                          text=True, timeout=900)


def _quiesce(admin: psycopg.Connection, dbname: str) -> None:
    """End every other session on the database (the pooler's server connections included), so
    each flushes its statistics as it exits; wait until they are gone."""
    admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
                  (dbname,))
    for _ in range(50):
        left = admin.execute("select count(*) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
                             (dbname,)).fetchone()[0]
        if not left:
            return
        time.sleep(0.1)
    pytest.fail(f"{left} sessions on {dbname} did not end")


# The database's tuple counters less the system catalogs' (autovacuum's ANALYZE writes
# pg_statistic whenever it likes): what queries did to the data.
COUNTERS = ("select d.tup_inserted - s.ins, d.tup_updated - s.upd, d.tup_deleted - s.del from pg_stat_database d,"
            " (select coalesce(sum(n_tup_ins), 0) ins, coalesce(sum(n_tup_upd), 0) upd, coalesce(sum(n_tup_del), 0) del"
            "  from pg_stat_sys_tables) s where d.datname = current_database()")


def _settled_counters(admin: psycopg.Connection) -> tuple:
    """The counters once the ended sessions' statistics have all been flushed (they flush as they
    exit): the same reading twice in a row."""
    last = None
    for _ in range(30):
        admin.execute("select pg_stat_clear_snapshot()")
        now = admin.execute(COUNTERS).fetchone()
        if now == last:
            return now
        last = now
        time.sleep(0.2)
    return last


def snapshot(target) -> dict:
    """Row count and checksum of every table, and the database's tuple counters."""
    with connect(target.direct_dsn, autocommit=True) as admin:
        dbname = admin.execute("select current_database()").fetchone()[0]
        _quiesce(admin, dbname)
        admin.execute("select pg_stat_force_next_flush()")
        tables = admin.execute(
            "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p') and n.nspname <> all(%s) order by 1, 2", (list(SKIP_SCHEMAS),)).fetchall()
        found = {}
        for schema, name in tables:
            ident = sql.Identifier(schema, name)
            found[f"{schema}.{name}"] = admin.execute(sql.SQL(
                "select count(*), coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {} t").format(ident)
            ).fetchone()
        counters = _settled_counters(admin)
        marked = admin.execute("select count(*) from auth.users where email like %s", (f"%@{MARK_DOMAIN}",)).fetchone()[0]
    return {"tables": found, "counters": counters, "marked_users": marked}


def test_conformance_on_remote_is_read_only(remote, tmp_path):
    target, env = remote
    before = snapshot(target)
    proc = run(["pytest", "conformance", "-q", "-p", "no:cacheprovider"], env, tmp_path)
    after = snapshot(target)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Spine conformance on target 'remote'" in proc.stdout
    assert "read-only" in proc.stdout     # the writing suites say why they skip
    changed = [t for t in before["tables"] if before["tables"][t] != after["tables"].get(t)]
    assert not changed, f"a read-only run changed {changed}"
    assert before["counters"] == after["counters"], (before["counters"], after["counters"])
    assert target.jwt_secret not in proc.stdout + proc.stderr


def test_conformance_with_writes_leaves_only_what_it_found(remote, tmp_path):
    target, env = remote
    before = snapshot(target)
    proc = run(["pytest", "conformance", "-q", "-p", "no:cacheprovider"], env | {"SPINE_ALLOW_WRITES": "1"}, tmp_path)
    after = snapshot(target)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    inserted = after["counters"][0] - before["counters"][0]
    assert inserted > 0, "with SPINE_ALLOW_WRITES=1 the suites wrote nothing: the write path was not exercised"
    changed = [t for t in before["tables"] if before["tables"][t] != after["tables"].get(t)]
    assert not changed, f"rows of the harness remained in (or other rows changed in) {changed}"
    assert after["marked_users"] == 0


def test_gate_on_remote_says_yes_read_only(remote, tmp_path):
    target, env = remote
    before = snapshot(target)
    proc = run(["spine_harness", "gate", "--out", str(tmp_path / "gate")], env, tmp_path)
    after = snapshot(target)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "GATE: YES: target 'remote' passed" in proc.stdout
    assert "load smoke: not run: target 'remote' is read-only" in proc.stdout
    assert before["tables"] == after["tables"] and before["counters"] == after["counters"]


def test_gate_on_remote_without_pooler_variables_accepts_the_declared_lack(remote, tmp_path):
    target, env = remote
    env = {k: v for k, v in env.items() if k not in ("SPINE_POOLER_URL", "SPINE_API_DB_URL")}
    proc = run(["spine_harness", "gate", "--out", str(tmp_path / "gate")], env | {"SPINE_ALLOW_WRITES": "1"}, tmp_path)
    assert "load smoke: not run: target 'remote' declares it lacks the pooler" in proc.stdout, proc.stdout[-4000:]
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_gate_on_an_unreachable_remote_says_so(tmp_path):
    env = {"SPINE_TARGET": "remote", "SPINE_DB_URL": "postgresql://x:SuperSecretPw@127.0.0.1:1/postgres"}
    proc = run(["spine_harness", "gate", "--out", str(tmp_path / "gate")], env, tmp_path)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 1 and lines[-1].startswith("GATE: NO: target unreachable: "), proc.stdout
    assert "SPINE_DB_URL (x@127.0.0.1:1/postgres)" in lines[-1]
    assert "SuperSecretPw" not in proc.stdout + proc.stderr
