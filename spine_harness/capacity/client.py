"""A psycopg client for Locust: one logical operation is one committed transaction, timed once
and reported once (one statistics row per operation, however many statements it runs), with its
result rows handed back to the caller."""
from __future__ import annotations

import functools
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


@functools.cache
def _script(op: Operation) -> str:
    return impersonation.request_script(op.statements)


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
            self.conn = connect(self.dsn, autocommit=True, cursor_factory=psycopg.ClientCursor)
        return self.conn

    def open(self) -> bool:
        """Connect now, as a client that holds its pooled connection between requests does; a
        failure is reported as a `connect` error (a successful connect is not a request and
        stays out of the latency figures). The next operation retries."""
        start = time.perf_counter()
        try:
            self._connection()
            return True
        except psycopg.Error as exc:
            self.events.request.fire(request_type=REQUEST_TYPE, name="connect", response_length=0,
                                     response_time=(time.perf_counter() - start) * 1000, exception=exc, context={})
            return False

    def run(self, op: Operation, user_index: int) -> list[tuple]:
        """Run `op` for seeded user `user_index`; the last statement's rows are returned."""
        rows: list[tuple] = []
        fetched = 0
        error: Exception | None = None
        start = time.perf_counter()
        try:
            conn = self._connection()
            params = op.params(user_index)
            # One round trip: the whole transaction (BEGIN, the impersonation, the statements,
            # COMMIT) is one simple-query message with the parameters bound by psycopg. The
            # transaction and its transaction-local settings are exactly the statement-by-
            # statement ones; the client only stops waiting between statements, and the pooler's
            # server connection is held for one round trip instead of one per statement.
            # (psycopg's pipeline mode does the same in one round trip too, but costs more CPU
            # per request in the client than the round trips it saves, measured.)
            cur = conn.cursor()
            cur.execute(_script(op), params | impersonation.request_params(
                op.claims(params["user_id"]), op.method, op.path))
            results = []
            while True:
                results.append(cur.fetchall() if cur.description else [])
                if not cur.nextset():
                    break
            for result in results[impersonation.SCRIPT_LEAD:impersonation.SCRIPT_LEAD + len(op.statements)]:
                rows = result
                fetched += len(result)
        except psycopg.Error as exc:
            error = exc
            self._recover()
        self.events.request.fire(
            request_type=REQUEST_TYPE, name=op.name, response_time=(time.perf_counter() - start) * 1000,
            response_length=fetched, exception=error, context={"user_index": user_index},
        )
        return rows

    def _recover(self) -> None:
        """After a failed operation: a broken connection is dropped (the next one reconnects);
        a live one left inside the failed transaction (the pipeline skipped its COMMIT) is rolled
        back, so that the pooler gets its server connection back."""
        if self.conn is None:
            return
        if self.conn.broken:
            self.close()
            return
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:
                self.conn.rollback()
            except psycopg.Error:
                self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
