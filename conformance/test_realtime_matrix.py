"""Realtime private channels: every topic x actor x {receive, send} x {broadcast, presence}
against the written rule (sql/realtime-expectations.yaml), decided the way Realtime decides a
join (RLS on realtime.messages as the caller, rolled back); and no policy that lets anon in."""
from __future__ import annotations

import pytest

from spine_harness.realtime import expectations as realtime_expectations
from spine_harness.realtime.join import may, topic_for

pytestmark = pytest.mark.needs("database")

CELLS = realtime_expectations.load()


@pytest.fixture(scope="module")
def messages_table(admin_conn):
    if admin_conn.execute("select to_regclass('realtime.messages')").fetchone()[0] is None:
        pytest.fail("the target has no realtime.messages: Realtime's schema is missing (has Realtime started?)",
                    pytrace=False)


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_join(cell, admin_conn, seed_rows, messages_table):
    topic = topic_for(cell.topic, seed_rows.users)
    sub = seed_rows.users.get(cell.actor) if cell.actor in ("owner", "other") else None
    allowed, detail = may(admin_conn, cell.actor, sub, topic, cell.action, cell.extension)
    want = "allowed" if cell.allowed else "refused"
    assert allowed is cell.allowed, (
        f"{cell.actor} {cell.action} {cell.extension} on {cell.topic}: expected {want}, got {detail}")


def test_rls_on_and_no_policy_for_anon(admin_conn, messages_table):
    """anon reaches no private topic: RLS is on and no policy on realtime.messages applies to anon
    (or to every role), whatever topic it would name."""
    rls = admin_conn.execute("select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass"
                             ).fetchone()[0]
    open_policies = [r[0] for r in admin_conn.execute(
        "select polname from pg_policy where polrelid = 'realtime.messages'::regclass and polpermissive"
        " and (polroles && array['anon'::regrole::oid] or polroles = array[0::oid]) order by 1")]
    assert rls, "RLS is off on realtime.messages: every private channel is open to every key"
    assert not open_policies, f"policies on realtime.messages that apply to anon: {', '.join(open_policies)}"
