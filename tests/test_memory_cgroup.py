"""The memory cgroups of the local target: the kernel enforces the limit, the accounting is the
group's own, the servers are inside from their start, and nothing is left behind (a killed
run's groups are swept). Small limits; skipped where the machine has no writable controller."""
from __future__ import annotations

import subprocess
import sys

import pytest

from spine_harness.database.connections import connect
from spine_harness.servers import cgroup as cgroups
from spine_harness.targets.local import LocalSpine

needs_cgroups = pytest.mark.skipif(cgroups.unavailable_reason() is not None,
                                   reason=f"{cgroups.unavailable_reason()}")


@needs_cgroups
def test_the_limit_is_enforced_and_the_kill_is_counted():
    group = cgroups.MemoryCgroup("test-oom").create(32)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "b = bytearray(96 * 1024 * 1024); print('survived')"],
            preexec_fn=group.join_self, capture_output=True, text=True, timeout=60)
        figures = group.accounting()
    finally:
        group.remove()
    assert proc.returncode == -9 and "survived" not in proc.stdout
    assert figures.oom_kills == 1 and figures.limit_mib == 32 and figures.peak_mib >= 31
    assert group.path is None


@needs_cgroups
def test_a_killed_run_s_groups_are_swept():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = cgroups.MemoryCgroup("sweep-test").create(16)
    stale = mine.parent / f"{cgroups.PREFIX}{dead.pid}-db"
    try:
        stale.mkdir()
        assert cgroups.sweep_stale(mine.parent) == [stale]
        assert not stale.exists() and mine.path.exists()
    finally:
        mine.remove()
        if stale.exists():
            stale.rmdir()


@needs_cgroups
def test_local_servers_start_inside_their_groups_and_leave_none_behind():
    spine = LocalSpine(memory_limits={"db": 256, "supavisor": 32}, label="cgtest")
    with spine as target:
        db, pooler = spine.cgroups["db"], spine.cgroups["supavisor"]
        paths = (db.path, pooler.path)
        with connect(target.pooler_dsn) as conn:
            backend = conn.execute("select pg_backend_pid()").fetchone()[0]
        postmaster = int((spine.postgres.datadir / "postmaster.pid").read_text().split()[0])
        assert postmaster in db.members() and backend not in pooler.members()
        assert spine.pgbouncer.process.proc.pid in pooler.members()
        figures = spine.memory_accounting()
        assert figures["db"].limit_mib == 256 and figures["supavisor"].limit_mib == 32
        assert figures["db"].resident_mib > 0 and figures["db"].oom_kills == 0
    assert not any(p.exists() for p in paths)


def test_no_controller_is_one_line_and_a_fallback(monkeypatch, capsys):
    monkeypatch.setattr(cgroups, "unavailable_reason", lambda *_: "no cgroup v1 memory controller at /nowhere")
    spine = LocalSpine(memory_limits=True)
    spine._create_cgroups()
    err = capsys.readouterr().err.strip()
    assert err == "memory limits: no cgroup v1 memory controller at /nowhere; the local servers run without them"
    assert spine.cgroups == {}


def test_true_means_the_architecture_s_limits():
    assert LocalSpine(memory_limits=True).memory_limits == {"db": 8192, "supavisor": 2048}
    assert LocalSpine().memory_limits == {}
