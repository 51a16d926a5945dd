"""Pooled vs direct: what the transaction pooler saves a client that connects per request.

`connect` opens and closes a connection; `short_transaction` opens one, runs one short
transaction (a profile read) and closes it, the pattern of serverless functions and scripts.
Direct runs between every pooled round; the report divides their medians
(spine_harness/report/ratios.py)."""
from __future__ import annotations

import itertools

from spine_harness.database.connections import connect
from spine_harness.capacity.paired_benchmark import paired

PROFILE_READ = "select id, display_name from public.users where id = %s"


ROUNDS = 200


def test_connect(benchmark, volume):
    benchmark.group = "pooling:connect"

    def connect_and_close(url):
        return lambda: connect(url).close()
    paired(benchmark, connect_and_close(volume.target.pooler_dsn), connect_and_close(volume.target.direct_dsn),
           case="pooled", baseline_case="direct", rounds=ROUNDS)


def test_short_transaction(benchmark, volume):
    benchmark.group = "pooling:short_transaction"
    users = itertools.cycle(volume.sample_users)
    found: list[bool] = []

    def one_transaction(url):
        def run():
            with connect(url) as conn:
                found.append(conn.execute(PROFILE_READ, (next(users)[0],)).fetchone() is not None)
        return run
    paired(benchmark, one_transaction(volume.target.pooler_dsn), one_transaction(volume.target.direct_dsn),
           case="pooled", baseline_case="direct", rounds=ROUNDS)
    assert all(found), "a profile read found no row: the benchmark would measure nothing"
