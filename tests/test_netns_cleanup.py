"""Namespaces are always removed: after a clean run, after a failure inside, and, for a run
that was killed, by the next run's sweep."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from spine_harness.network.namespace import Namespace, owned_namespaces, sweep_stale_namespaces
from spine_harness.network.testbed import FirewallTestbed

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"), reason="needs root and `ip netns`")


def test_testbed_leaves_nothing_after_a_failure():
    before = owned_namespaces(os.getpid())
    with pytest.raises(RuntimeError, match="boom"):
        with FirewallTestbed({5432: ("127.0.0.1", 9), 6543: ("127.0.0.1", 9)}) as bed:
            assert len(owned_namespaces(os.getpid())) == len(before) + 4
            assert bed.host.ns.run(["ip", "-br", "link"], check=True).stdout.count("veth-") == 3
            raise RuntimeError("boom")
    assert owned_namespaces(os.getpid()) == before


def test_sweep_removes_namespaces_of_dead_runs():
    dead = subprocess.Popen(["true"])
    dead.wait()
    name = f"spine-{dead.pid}-1-leftover"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        assert name in sweep_stale_namespaces()
        assert name not in owned_namespaces()
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def test_entering_a_namespace_moves_only_this_thread_and_always_back():
    ns = Namespace("enter").create()
    try:
        home = os.stat("/proc/thread-self/ns/net").st_ino
        with pytest.raises(ValueError):
            with ns.entered():
                assert os.stat("/proc/thread-self/ns/net").st_ino != home
                raise ValueError
        assert os.stat("/proc/thread-self/ns/net").st_ino == home
    finally:
        ns.delete()
