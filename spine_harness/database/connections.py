"""Connecting to the target's Postgres. One place, so every connection behind a transaction
pooler has server-side prepared statements turned off (they break in transaction mode)."""
from __future__ import annotations

import psycopg


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    kwargs.setdefault("prepare_threshold", None)
    return psycopg.connect(dsn, **kwargs)
