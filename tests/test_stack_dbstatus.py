"""db-status against a real (local) Postgres: every section reads, nothing is written, and the
password never shows."""
from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from spine_harness.config.paths import REPO_ROOT
from spine_harness.deployment import dbstatus


def test_report_reads_every_section(local_spine):
    target = local_spine.target()
    with psycopg.connect(target.direct_dsn) as blocker, \
            psycopg.connect(target.direct_dsn, autocommit=True) as conn:
        blocker.execute("select 1")     # leaves a transaction open
        sections = dbstatus.report(conn, long_transaction_s=0)
    titles = [s.title for s in sections]
    assert titles[:5] == ["health", "connections", "connections by user and application", "database sizes",
                          "bloat (dead tuples)"]
    assert "PostgreSQL 15" in sections[0].rows[0][0]
    assert any(row[0] == "spine" for row in sections[3].rows)
    long_tx = next(s for s in sections if s.title.startswith("transactions open"))
    assert long_tx.rows and long_tx.verdict


def test_command_hides_the_password(local_spine):
    target = local_spine.target()
    proc = subprocess.run([sys.executable, "-m", "spine_harness", "db-status", "--dsn", target.direct_dsn],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "== health" in proc.stdout and "== replication slots" in proc.stdout
    assert local_spine.password not in proc.stdout + proc.stderr


def test_dsn_from_env_names_what_is_missing():
    with pytest.raises(KeyError, match="POOLER_PROXY_PORT_SESSION, POOLER_TENANT_ID, POSTGRES_PASSWORD"):
        dbstatus.dsn_from_env({"POSTGRES_DB": "postgres"})
    dsn = dbstatus.dsn_from_env({"POOLER_PROXY_PORT_SESSION": "5432", "POOLER_TENANT_ID": "t",
                                 "POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "postgres"})
    assert psycopg.conninfo.conninfo_to_dict(dsn)["user"] == "postgres.t"
