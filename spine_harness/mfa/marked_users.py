"""Users an MFA suite or benchmark makes for itself, marked like the RLS seed's users (e-mail
domain, run id in the app metadata), so that removing them touches nothing else. Their MFA rows
go with them (on delete cascade)."""
from __future__ import annotations

import json
import secrets
import uuid

import psycopg

from spine_harness.rls.seed import MARK_DOMAIN


class MarkedUsers:
    """Made through the privileged direct login (in autocommit), as the RLS seed is."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.run_id = secrets.token_hex(4)
        self.ids: list[uuid.UUID] = []

    def new(self, name: str = "mfa") -> uuid.UUID:
        user_id = uuid.uuid4()
        with self.conn.transaction():
            self.conn.execute("insert into auth.users (id, email, raw_app_meta_data) values (%s, %s, %s)",
                              (user_id, self.email(name), json.dumps({"spine_harness": self.run_id})))
            self.conn.execute("insert into public.users (id) values (%s) on conflict (id) do nothing", (user_id,))
        self.ids.append(user_id)
        return user_id

    def email(self, name: str) -> str:
        return f"{name}-{len(self.ids)}-{self.run_id}@{MARK_DOMAIN}"

    def remove(self) -> None:
        self.conn.execute("delete from auth.users where id = any(%s) and email like %s",
                          (self.ids, f"%-{self.run_id}@{MARK_DOMAIN}"))
