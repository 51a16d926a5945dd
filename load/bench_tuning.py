"""Does the stack's postgresql.conf earn its keep? The same data and the same workloads on two
local Postgres servers, one running the stack's file and one Postgres' defaults. The report
divides them (goal: never slower, and at least 1.2x on the read-mostly workload)."""
from __future__ import annotations

import itertools

import pytest

from spine_harness.db import connect

# Read-mostly: a user's latest signatures (an index range) and the week's busiest certificates
# (a scan of the whole log, larger than Postgres' default 128 MB of shared buffers).
READ_MOSTLY = (
    ("select id, document_name, signed_at from gesign.signing_logs where user_id = %(uid)s"
     " order by signed_at desc limit 20"),
    ("select certificate_id, count(*) from gesign.signing_logs where signed_at > now() - interval '7 days'"
     " group by certificate_id order by count(*) desc limit 10"),
)
WRITE = ("insert into gesign.signing_logs (user_id, certificate_id, document_hash, signature_algorithm)"
         " values (%(uid)s, %(cert)s, sha256(random()::text::bytea), 'Ed25519')")
WRITES_PER_ROUND = 50


@pytest.fixture(scope="module", params=["tuned", "defaults"])
def server(request, volume, default_volume):
    vol = volume if request.param == "tuned" else default_volume
    with connect(vol.target.direct_dsn, autocommit=True) as conn:
        conn.execute(READ_MOSTLY[1])  # warm the cache the server is configured to have
        yield request.param, conn, vol


def test_read_mostly(benchmark, server):
    config, conn, vol = server
    benchmark.group = "tuning:read_mostly"
    users = itertools.cycle(vol.sample_users)

    def workload():
        uid, _ = next(users)
        for sql in READ_MOSTLY:
            conn.execute(sql, {"uid": uid}).fetchall()
    benchmark.extra_info["case"] = config
    benchmark.pedantic(workload, rounds=15, warmup_rounds=2)


def test_write_signing_logs(benchmark, server):
    config, conn, vol = server
    benchmark.group = "tuning:write_signing_logs"
    users = itertools.cycle(vol.sample_users)

    def workload():
        for _ in range(WRITES_PER_ROUND):
            uid, cert = next(users)
            conn.execute(WRITE, {"uid": uid, "cert": cert})
    benchmark.extra_info["case"] = config
    benchmark.pedantic(workload, rounds=15, warmup_rounds=2)
