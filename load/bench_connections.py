"""Pooled vs direct: what the transaction pooler saves a client that connects per request.

`connect` opens and closes a connection; `short_transaction` opens one, runs one short
transaction (a profile read) and closes it, the pattern of serverless functions and scripts.
The report divides direct by pooled (spine_harness/report/ratios.py)."""
from __future__ import annotations

import itertools

import pytest

from spine_harness.db import connect

PROFILE_READ = "select id, display_name from public.users where id = %s"


@pytest.fixture(params=["pooled", "direct"])
def dsn(request, volume):
    return request.param, volume.target.pooler_dsn if request.param == "pooled" else volume.target.direct_dsn


def test_connect(benchmark, dsn):
    how, url = dsn
    benchmark.group = "pooling:connect"
    benchmark.extra_info["case"] = how

    def connect_and_close():
        connect(url).close()
    benchmark.pedantic(connect_and_close, rounds=200, warmup_rounds=5)


def test_short_transaction(benchmark, dsn, volume):
    how, url = dsn
    benchmark.group = "pooling:short_transaction"
    benchmark.extra_info["case"] = how
    users = itertools.cycle(volume.sample_users)

    def one_transaction():
        with connect(url) as conn:
            return conn.execute(PROFILE_READ, (next(users)[0],)).fetchone()
    row = benchmark.pedantic(one_transaction, rounds=200, warmup_rounds=5)
    assert row is not None, "the profile read found no row: the benchmark would measure nothing"
