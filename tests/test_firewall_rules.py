"""The rule set and the command: what a dry run prints, what the rules say per family, and the
script's own hygiene (shellcheck, refusing bad input before anything happens)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from spine_harness.__main__ import main
from spine_harness.firewall import rules
from spine_harness.firewall.allowlist import parse_allowed_db_ips
from spine_harness.config.paths import STACK_DIR

SCRIPT = STACK_DIR / "scripts" / "firewall-setup.sh"


def test_each_family_admits_only_its_own_sources_to_the_database_ports():
    v4, v6 = rules.build(parse_allowed_db_ips("203.0.113.7,2001:db8::/64"))
    assert "-s 203.0.113.7/32 -p tcp -m multiport --dports 5432,6543 -j ACCEPT" in v4.chains[rules.INPUT_CHAIN]
    assert "-s 203.0.113.7/32 -p tcp -m conntrack --ctorigdstport 6543 -j RETURN" in v4.chains[rules.DOCKER_USER_CHAIN]
    assert not any("2001:db8" in r for r in v4.restore_text().splitlines())
    assert "-s 2001:db8::/64 -p tcp -m conntrack --ctorigdstport 5432 -j RETURN" in v6.chains[rules.DOCKER_USER_CHAIN]


def test_a_family_without_allowed_sources_gets_no_database_access():
    _, v6 = rules.build(parse_allowed_db_ips("203.0.113.7"))
    assert not any(" -s " in f" {r}" for r in v6.chains[rules.INPUT_CHAIN] + v6.chains[rules.DOCKER_USER_CHAIN])
    assert v6.chains[rules.INPUT_CHAIN][-1] == "-j DROP"


def test_replies_pass_before_the_source_filters():
    """Reply packets of an admitted connection carry the container's address as source: without
    the ESTABLISHED rule first they would meet the DROP for their original port."""
    v4, _ = rules.build(parse_allowed_db_ips("203.0.113.7"))
    assert v4.chains[rules.DOCKER_USER_CHAIN][0] == "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
    assert v4.chains[rules.DOCKER_USER_CHAIN][-1] == "-m conntrack --ctstate DNAT -j DROP"


def test_dry_run_prints_both_families_and_the_jumps(capsys):
    assert main(["firewall", "--dry-run", "--allowed", "203.0.113.7,2001:db8::/64"]) == 0
    out = capsys.readouterr().out
    for expected in ("iptables-restore --noflush", "ip6tables-restore --noflush", f":{rules.INPUT_CHAIN} - [0:0]",
                     f"iptables -I INPUT 1 -j {rules.INPUT_CHAIN}", f"ip6tables -I DOCKER-USER 1 -j {rules.DOCKER_USER_CHAIN}"):
        assert expected in out


def test_bad_allowlist_is_one_line_on_stderr_and_exit_2(capsys):
    assert main(["firewall", "--allowed", "203.0.113.300"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "203.0.113.300" in captured.err


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed (make setup)")
def test_script_passes_shellcheck():
    proc = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
