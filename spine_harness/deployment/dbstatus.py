"""The database at a glance, for an operator on the server (scripts/db-status.sh): health,
connections against max_connections, who holds them, database sizes, dead-tuple bloat,
long transactions and replication slots (an inactive one makes WAL pile up). Read-only."""
from __future__ import annotations

import dataclasses

import psycopg

# What db-status reads from the deployment's .env to reach Postgres through Supavisor's
# session port on the host (Postgres itself is never published).
ENV_VARIABLES = ("POOLER_PROXY_PORT_SESSION", "POOLER_TENANT_ID", "POSTGRES_PASSWORD", "POSTGRES_DB")
LONG_TRANSACTION_S = 60
BLOAT_MIN_DEAD_TUPLES = 1000
TOP = 10


def dsn_from_env(env: dict[str, str], host: str = "127.0.0.1") -> str:
    missing = [name for name in ENV_VARIABLES if not env.get(name)]
    if missing:
        raise KeyError(f"the env file does not set {', '.join(missing)}")
    return psycopg.conninfo.make_conninfo(
        host=host, port=env["POOLER_PROXY_PORT_SESSION"], dbname=env["POSTGRES_DB"],
        user=f"postgres.{env['POOLER_TENANT_ID']}", password=env["POSTGRES_PASSWORD"],
        connect_timeout=5, application_name="spine-db-status")


@dataclasses.dataclass(frozen=True)
class Section:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]
    verdict: str = ""        # "" when there is nothing to worry about

    def lines(self) -> list[str]:
        out = [f"== {self.title}" + (f"  [{self.verdict}]" if self.verdict else "")]
        if not self.rows:
            return out + ["   (none)"]
        cells = [tuple(self.columns)] + [tuple("" if v is None else str(v) for v in row) for row in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        return out + ["   " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]


def _rows(conn: psycopg.Connection, query: str, params: tuple = ()) -> list[tuple]:
    return conn.execute(query, params).fetchall()


def health(conn) -> Section:
    rows = _rows(conn, "select split_part(version(), ' on ', 1), pg_is_in_recovery(),"
                       " date_trunc('second', now() - pg_postmaster_start_time())::text")
    return Section("health", ("version", "in recovery", "up for"), rows)


def connections(conn) -> Section:
    rows = _rows(conn, """
        select count(*) filter (where backend_type = 'client backend'),
               current_setting('max_connections')::int,
               count(*) filter (where state = 'active'),
               count(*) filter (where state = 'idle in transaction')
          from pg_stat_activity""")
    used, limit, _, idle_tx = rows[0]
    verdict = "over 80% of max_connections" if used > 0.8 * limit else ""
    if idle_tx:
        verdict = "; ".join(filter(None, (verdict, f"{idle_tx} idle in transaction")))
    return Section("connections", ("client backends", "max_connections", "active", "idle in transaction"),
                   rows, verdict)


def pool_usage(conn) -> Section:
    """Who holds the server connections: Supavisor's pools show up by user and application."""
    rows = _rows(conn, """
        select coalesce(usename, '(background)'), coalesce(nullif(application_name, ''), '-'),
               count(*), count(*) filter (where state = 'active')
          from pg_stat_activity where backend_type = 'client backend'
         group by 1, 2 order by 3 desc limit %s""", (TOP,))
    return Section("connections by user and application", ("user", "application", "connections", "active"), rows)


def database_sizes(conn) -> Section:
    rows = _rows(conn, """
        select datname, pg_size_pretty(pg_database_size(datname))
          from pg_database where not datistemplate order by pg_database_size(datname) desc""")
    return Section("database sizes", ("database", "size"), rows)


def bloat(conn) -> Section:
    """Dead tuples per table: what autovacuum has yet to reclaim (an estimate, not pgstattuple)."""
    rows = _rows(conn, """
        select schemaname || '.' || relname, n_live_tup, n_dead_tup,
               round(100.0 * n_dead_tup / greatest(n_live_tup + n_dead_tup, 1), 1),
               coalesce(greatest(last_autovacuum, last_vacuum)::text, 'never')
          from pg_stat_user_tables where n_dead_tup >= %s
         order by n_dead_tup desc limit %s""", (BLOAT_MIN_DEAD_TUPLES, TOP))
    verdict = "dead tuples above 20% somewhere" if any(r[3] > 20 for r in rows) else ""
    return Section("bloat (dead tuples)", ("table", "live", "dead", "dead %", "last vacuum"), rows, verdict)


def long_transactions(conn, older_than_s: int = LONG_TRANSACTION_S) -> Section:
    rows = _rows(conn, """
        select pid, usename, coalesce(nullif(application_name, ''), '-'), state,
               date_trunc('second', now() - xact_start)::text, left(regexp_replace(query, '\\s+', ' ', 'g'), 60)
          from pg_stat_activity
         where xact_start < now() - make_interval(secs => %s) and pid <> pg_backend_pid()
         order by xact_start limit %s""", (older_than_s, TOP))
    verdict = f"{len(rows)} transaction(s) open longer than {older_than_s}s" if rows else ""
    return Section(f"transactions open longer than {older_than_s}s",
                   ("pid", "user", "application", "state", "open for", "query"), rows, verdict)


def replication_slots(conn) -> Section:
    rows = _rows(conn, """
        select slot_name, slot_type, active,
               pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))
          from pg_replication_slots order by slot_name""")
    verdict = "inactive slot holds WAL" if any(not r[2] for r in rows) else ""
    return Section("replication slots", ("slot", "type", "active", "WAL retained"), rows, verdict)


def report(conn: psycopg.Connection, long_transaction_s: int = LONG_TRANSACTION_S) -> list[Section]:
    return [health(conn), connections(conn), pool_usage(conn), database_sizes(conn), bloat(conn),
            long_transactions(conn, long_transaction_s), replication_slots(conn)]
