"""The stack's firewall script on a real kernel (a scratch namespace, where Docker has already
made its DOCKER-USER chain): idempotent, and a refusal or a dry run changes nothing."""
from __future__ import annotations

import os
import shutil
import sys

import pytest

from spine_harness.firewall.rules import DOCKER_USER_CHAIN, INPUT_CHAIN
from spine_harness.network.namespace import Namespace
from spine_harness.config.paths import STACK_DIR

SCRIPT = STACK_DIR / "scripts" / "firewall-setup.sh"
ALLOWED = "203.0.113.7,2001:db8::/64"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"),
                                reason="needs root and `ip netns` (runs on the local target as root)")


@pytest.fixture
def host():
    ns = Namespace("fwscript").create()
    try:
        for tool in ("iptables", "ip6tables"):
            ns.run([tool, "-N", "DOCKER-USER"], check=True)
            ns.run([tool, "-A", "DOCKER-USER", "-j", "RETURN"], check=True)
        yield ns
    finally:
        ns.delete()


@pytest.fixture(scope="module")
def protected_host():
    """A host the script has already protected (shared: the checks using it must change nothing)."""
    ns = Namespace("fwprotected").create()
    try:
        assert run_script(ns, ALLOWED).returncode == 0
        yield ns
    finally:
        ns.delete()


def run_script(ns: Namespace, allowed: str | None, *args: str):
    env = {"PATH": os.environ["PATH"], "PYTHON": sys.executable}
    if allowed is not None:
        env["ALLOWED_DB_IPS"] = allowed
    return ns.run(["bash", str(SCRIPT), *args], env=env)


def rules(ns: Namespace) -> str:
    return "\n".join(ns.run([tool, "-S"], check=True).stdout for tool in ("iptables", "ip6tables"))


def test_twice_gives_the_same_rules_with_our_jumps_first(host):
    assert run_script(host, ALLOWED).returncode == 0
    first = rules(host)
    assert run_script(host, ALLOWED).returncode == 0
    assert rules(host) == first
    for tool in ("iptables", "ip6tables"):
        assert host.run([tool, "-S", "INPUT"], check=True).stdout.splitlines()[1] == f"-A INPUT -j {INPUT_CHAIN}"
        docker_user = host.run([tool, "-S", "DOCKER-USER"], check=True).stdout.splitlines()[1:]
        assert docker_user == [f"-A DOCKER-USER -j {DOCKER_USER_CHAIN}", "-A DOCKER-USER -j RETURN"]


def test_a_changed_allowlist_replaces_the_old_one(host):
    run_script(host, ALLOWED)
    assert run_script(host, "198.51.100.9").returncode == 0
    now = rules(host)
    assert "198.51.100.9/32" in now and "203.0.113.7" not in now and "2001:db8::/64" not in now


@pytest.mark.parametrize("allowed", [None, "203.0.113.7,,", "0.0.0.0/0"])
def test_bad_allowlist_changes_nothing(protected_host, allowed):
    before = rules(protected_host)
    proc = run_script(protected_host, allowed)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("firewall: ALLOWED_DB_IPS") and proc.stderr.count("\n") == 1
    assert rules(protected_host) == before


def test_dry_run_applies_nothing(protected_host):
    before = rules(protected_host)
    proc = run_script(protected_host, "198.51.100.9", "--dry-run")
    assert proc.returncode == 0 and "-s 198.51.100.9/32" in proc.stdout
    assert rules(protected_host) == before
