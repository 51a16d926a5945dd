"""The load's transactions do what they say, through the pooler, both as the Locust client runs
them and as the pgbench scripts rendered from them do."""
from __future__ import annotations

import pytest

from spine_harness.database.connections import connect
from spine_harness.capacity import operations as ops
from spine_harness.capacity import pgbench, population
from spine_harness.capacity.client import DatabaseClient

USERS = 50


class RecordedEvents:
    """Stands in for locust's events: the client only calls events.request.fire(**kwargs)."""

    def __init__(self) -> None:
        self.fired: list[dict] = []
        self.request = self

    def fire(self, **kwargs) -> None:
        self.fired.append(kwargs)


@pytest.fixture(scope="module")
def seeded(local_spine):
    with local_spine.scratch("test_load_operations") as target:
        with connect(target.direct_dsn, autocommit=True) as conn:
            population.create(conn, USERS, 1)
        yield target


def test_each_operation_is_one_committed_transaction_reported_once(seeded):
    events = RecordedEvents()
    client = DatabaseClient(seeded.api_dsn, events)
    try:
        profile = client.run(ops.PROFILE_READ, 7)
        certificates = client.run(ops.CERTIFICATE_LIST, 7)
        inserted = client.run(ops.SIGNING_LOG_INSERT, 7)
        verified = client.run(ops.MFA_VERIFY, 7)
        replayed = client.run(ops.MFA_VERIFY, 7)
    finally:
        client.close()
    assert [e["name"] for e in events.fired] == [op.name for op in ops.OPERATIONS] + [ops.MFA_VERIFY.name]
    assert all(e["exception"] is None for e in events.fired), [e["exception"] for e in events.fired]
    assert profile[0][0] == population.user_id(7)
    assert [c[1] for c in certificates] == ["spine-load-cert-7"], "RLS should show user 7 only their certificate"
    assert len(inserted) == 1 and verified and not replayed, "the replay guard should refuse a second use of a step"
    with connect(seeded.direct_dsn, autocommit=True) as conn:
        logs = conn.execute("select count(*) from gesign.signing_logs where user_id = %s",
                            (population.user_id(7),)).fetchone()[0]
    assert logs == 2, "the inserted signing log was not committed"


def test_a_failed_operation_is_reported_as_a_failure(seeded):
    events = RecordedEvents()
    client = DatabaseClient(seeded.api_dsn, events)
    try:
        client.run(ops.SIGNING_LOG_INSERT, USERS + 1)   # no such user: RLS refuses the insert
        # The pipeline skipped the failed transaction's COMMIT: the client rolled it back, so
        # the same connection serves the next operation.
        profile = client.run(ops.PROFILE_READ, 3)
    finally:
        client.close()
    assert len(events.fired) == 2 and events.fired[0]["exception"] is not None
    assert events.fired[1]["exception"] is None and profile[0][0] == population.user_id(3)


def test_the_pipelined_settings_stay_transaction_local(seeded):
    client = DatabaseClient(seeded.api_dsn, RecordedEvents())
    try:
        client.run(ops.PROFILE_READ, 5)
        after = client.conn.execute("select current_user, coalesce(current_setting('request.jwt.claims', true), '')"
                                    ).fetchone()
    finally:
        client.close()
    assert after == ("authenticator", ""), "the role and claims outlived their transaction"


@pytest.mark.parametrize("op", ops.OPERATIONS, ids=[op.name for op in ops.OPERATIONS])
def test_pgbench_script_runs_the_same_transaction(seeded, op, tmp_path):
    script = tmp_path / "op.sql"
    script.write_text(ops.pgbench_script(op, USERS))
    result = pgbench.run(seeded.api_dsn, ["-M", "extended", "-t", "20", "-f", str(script)], timeout=60)
    assert (result.transactions, result.failed) == (20, 0), result.output
