"""The project's SQL files and how they are applied, in one place.

The compose stack mounts the same files into /docker-entrypoint-initdb.d, where Postgres runs
them in name order; the local target applies them in that same order, after its compatibility
bootstrap (sql/local/) which only a vanilla Postgres needs.
"""
from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg import sql

from spine_harness.config.paths import LOCAL_SQL_DIR, SQL_DIR

# The roles that log in on a real Supabase Postgres and share POSTGRES_PASSWORD there.
LOGIN_ROLES = ("authenticator", "supabase_admin", "supabase_auth_admin", "supabase_storage_admin")


def project_sql_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """The schema files, in the order Postgres' init directory would run them."""
    return sorted(p for p in sql_dir.glob("*.sql") if p.is_file())


def local_bootstrap_files() -> list[Path]:
    return sorted(LOCAL_SQL_DIR.glob("*.sql"))


def apply_files(conn: psycopg.Connection, files: list[Path]) -> None:
    """Run each file as one script, in its own transaction, naming the file if it fails."""
    for path in files:
        try:
            with conn.transaction():
                conn.execute(path.read_text())
        except psycopg.Error as exc:
            raise RuntimeError(f"{path.name}: {exc.diag.sqlstate or ''} {exc}".strip()) from exc


def set_login_passwords(conn: psycopg.Connection, password: str) -> None:
    for role in LOGIN_ROLES:
        conn.execute(sql.SQL("alter role {} with login password {}").format(
            sql.Identifier(role), sql.Literal(password)))
