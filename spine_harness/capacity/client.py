"""A psycopg client for Locust: one logical operation is one committed transaction, timed once
and reported once (one statistics row per operation, however many statements it runs), with its
result rows handed back to the caller."""
from __future__ import annotations

import logging
import time

import psycopg

from spine_harness.database import impersonation
from spine_harness.database.connections import connect
from spine_harness.capacity.operations import Operation

REQUEST_TYPE = "psycopg"

# Locust stops users by killing their greenlet, often in the middle of a query; psycopg then
# warns, once per user, that it could not send the rollback. The connection is discarded anyway.
logging.getLogger("psycopg.transaction").setLevel(logging.ERROR)


class DatabaseClient:
    """One client connection through the pooler, as one PostgREST-like caller holds it.

    A broken connection (the pooler restarted, the server went away) is reported as that
    operation's failure and replaced on the next operation, as a service's pool would.
    """

    def __init__(self, dsn: str, events) -> None:
        self.dsn = dsn
        self.events = events
        self.conn: psycopg.Connection | None = None

    def _connection(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed:
            self.conn = connect(self.dsn, autocommit=True)
        return self.conn

    def run(self, op: Operation, user_index: int) -> list[tuple]:
        """Run `op` for seeded user `user_index`; the last statement's rows are returned."""
        rows: list[tuple] = []
        fetched = 0
        error: Exception | None = None
        start = time.perf_counter()
        try:
            conn = self._connection()
            params = op.params(user_index)
            with impersonation.request(conn, op.claims(params["user_id"]), commit=True,
                                       method=op.method, path=op.path) as cur:
                for statement in op.statements:
                    cur.execute(statement, params)
                    rows = cur.fetchall() if cur.description else []
                    fetched += len(rows)
        except psycopg.Error as exc:
            error = exc
            if self.conn is not None and self.conn.broken:
                self.close()
        self.events.request.fire(
            request_type=REQUEST_TYPE, name=op.name, response_time=(time.perf_counter() - start) * 1000,
            response_length=fetched, exception=error, context={"user_index": user_index},
        )
        return rows

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
