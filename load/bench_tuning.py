"""Does the stack's postgresql.conf earn its keep? The same data and the same workloads on two
local Postgres servers, one running the stack's file and one Postgres' defaults, taking turns
round by round. The report divides their medians (goal: never slower, and at least 1.2x on the
read-mostly workload)."""
from __future__ import annotations

import itertools

import pytest

from spine_harness.database.connections import connect
from spine_harness.capacity.paired_benchmark import paired

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


ROUNDS = 15


@pytest.fixture(scope="module")
def servers(volume, default_volume):
    """Both servers, each with its cache warmed the way its configuration allows."""
    with connect(volume.target.direct_dsn, autocommit=True) as tuned, \
            connect(default_volume.target.direct_dsn, autocommit=True) as defaults:
        for conn in (tuned, defaults):
            conn.execute(READ_MOSTLY[1])
        yield tuned, defaults


def _read_mostly(conn, users):
    def workload():
        uid, _ = next(users)
        for sql in READ_MOSTLY:
            conn.execute(sql, {"uid": uid}).fetchall()
    return workload


def _write_signing_logs(conn, users):
    def workload():
        for _ in range(WRITES_PER_ROUND):
            uid, cert = next(users)
            conn.execute(WRITE, {"uid": uid, "cert": cert})
    return workload


@pytest.mark.parametrize("workload", [_read_mostly, _write_signing_logs], ids=["read_mostly", "write_signing_logs"])
def test_tuning(benchmark, workload, servers, volume):
    tuned, defaults = servers
    benchmark.group = f"tuning:{workload.__name__.lstrip('_')}"
    users = itertools.cycle(volume.sample_users)  # the same population on both servers
    paired(benchmark, workload(tuned, users), workload(defaults, users),
           case="tuned", baseline_case="defaults", rounds=ROUNDS, warmup_rounds=2)
