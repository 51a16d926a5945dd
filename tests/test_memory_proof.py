"""The executed memory proof on a small rehearsal (64 MB shared_buffers, 10 connections, a
320 MiB group): it drives every session to the barrier and passes when the static proof holds,
and it fails, saying the proof is wrong, when Postgres takes more than the proof counts."""
from __future__ import annotations

import pytest

from spine_harness.capacity import memory_proof
from spine_harness.servers import cgroup as cgroups

pytestmark = pytest.mark.skipif(cgroups.unavailable_reason() is not None, reason=f"{cgroups.unavailable_reason()}")

SMALL = (("shared_buffers", "64MB"), ("max_connections", "10"), ("work_mem", "4MB"),
         ("maintenance_work_mem", "32MB"), ("max_parallel_workers", "2"), ("max_worker_processes", "4"),
         ("max_parallel_workers_per_gather", "2"), ("autovacuum_max_workers", "2"), ("huge_pages", "off"),
         ("wal_buffers", "-1"), ("min_wal_size", "80MB"), ("max_wal_size", "1GB"))


def _run(*extra, limit=320):
    plan = memory_proof.ProofPlan(overrides=SMALL + extra, limit_mib=limit, hold_seconds=1, timeout_seconds=120)
    return memory_proof.run(plan)


def test_the_small_rehearsal_holds_every_session_at_once_within_the_proof():
    result = _run()
    assert result.passed, result.failures
    assert result.arrived == sum(v for k, v in result.sessions.items() if k != "coordinator")
    assert result.data_mib > 64 and result.budget.total_mib <= result.limit_mib
    assert 64 < result.resident_peak_mib <= result.allowed_mib
    assert [line["item"] for line in result.as_dict()["proof_lines"]][0] == "shared_buffers"


def test_a_proof_that_undercounts_is_caught():
    # Hash nodes allowed 8x work_mem: the static proof (2 nodes x work_mem) is now wrong.
    result = _run(("hash_mem_multiplier", "8"))
    assert not result.passed
    assert any("static proof is wrong" in f or "OOM" in f for f in result.failures), result.failures
