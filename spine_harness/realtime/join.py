"""Realtime's join-time authorization of a private channel, as Realtime runs it: in one
transaction that is always rolled back, a probe message on the topic, then as the caller (role
and JWT claims transaction-local, `realtime.topic` set to the channel) a SELECT of it decides
receiving and an INSERT decides sending, per extension."""
from __future__ import annotations

import json
import uuid

import psycopg

from spine_harness.database.impersonation import claims_for
from spine_harness.rls.expectations import ACTOR_ROLE


def topic_for(pattern: str, users: dict[str, uuid.UUID]) -> str:
    return pattern.format(**{k: str(v) for k, v in users.items()})


def may(conn: psycopg.Connection, actor: str, sub: uuid.UUID | None, topic: str, action: str,
        extension: str) -> tuple[bool, str]:
    """`conn` is the privileged direct login (Realtime's own); the caller is impersonated."""
    claims = claims_for(ACTOR_ROLE[actor], sub)
    with conn.transaction(force_rollback=True):
        cur = conn.cursor()
        if action == "receive":
            cur.execute("insert into realtime.messages (topic, extension, private, event, payload)"
                        " values (%s, %s, true, 'spine-harness', '{}')", (topic, extension))
        cur.execute("select set_config('role', %s, true), set_config('request.jwt.claims', %s, true),"
                    " set_config('realtime.topic', %s, true)", (claims["role"], json.dumps(claims), topic))
        try:
            with conn.transaction():
                if action == "receive":
                    cur.execute("select count(*) from realtime.messages where topic = %s and extension = %s",
                                (topic, extension))
                    n = cur.fetchone()[0]
                    return n > 0, f"{n} message(s) visible"
                cur.execute("insert into realtime.messages (topic, extension, private, event, payload)"
                            " values (%s, %s, true, 'spine-harness', '{}')", (topic, extension))
                return True, "insert accepted"
        except psycopg.errors.InsufficientPrivilege as exc:
            return False, f"42501 {exc.diag.message_primary}"
