"""Canaries for the network boundary. The firewall ones are broken copies of the stack's firewall
script, run by the firewall suite on its namespaced server host: each adds one operator's
mistake after the script's real rules, and the reachability matrix must show it. The pg_hba ones
start a Postgres of their own with one line of the stack's pg_hba.conf broken."""
from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.canaries import Canary, CanaryEnv, register, replace_in_file, stack_canary
from spine_harness.firewall.rules import DOCKER_USER, DOCKER_USER_CHAIN, INPUT_CHAIN
from spine_harness.network.testbed import LAN
from spine_harness.targets.local import firewall_host_reason
from spine_harness.servers.postgres import STACK_PG_HBA, LocalPostgres
from spine_harness.targets.model import Capability, Target

FIREWALL = "test_firewall.py"
SCRIPT = Path("scripts") / "firewall-setup.sh"
APPLY = '"$python" -m spine_harness firewall --allowed "${ALLOWED_DB_IPS:-}" "$@"'


def _after_apply(shell: str) -> Callable[[Path], None]:
    def edit(copy: Path) -> None:
        replace_in_file(copy / SCRIPT, APPLY, f"{APPLY}\n{shell}")
    return edit


def _both_families(command: str) -> str:
    return f'for t in iptables ip6tables; do "$t" {command}; done'


def _cells(sources: tuple[str, ...], versions: tuple[int, ...], ports: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(f"{FIREWALL}::test_reachability[{s}-ipv{v}-{p}]" for s in sources for v in versions for p in ports)


stack_canary(
    "firewall_input_only", "rules only in INPUT (ufw-style): nothing in DOCKER-USER, the NAT path stays open",
    _after_apply(_both_families(f"-D {DOCKER_USER} -j {DOCKER_USER_CHAIN}")),
    (FIREWALL,), _cells(("other",), (4, 6), (5432, 6543)))

stack_canary(
    "firewall_allowlist_ignored", "ALLOWED_DB_IPS ignored: the script admits the whole LAN to 5432/6543",
    lambda copy: replace_in_file(copy / SCRIPT, '--allowed "${ALLOWED_DB_IPS:-}"', f'--allowed "{",".join(LAN)}"'),
    (FIREWALL,), _cells(("other",), (4, 6), (5432, 6543)))

stack_canary(
    "firewall_ipv6_open", "IPv6 left open: no ip6tables rules in force",
    _after_apply(f"ip6tables -D INPUT -j {INPUT_CHAIN}; ip6tables -D {DOCKER_USER} -j {DOCKER_USER_CHAIN}"),
    (FIREWALL,), _cells(("other",), (6,), (5432, 6543, 3000, 8000, 9999)))

stack_canary(
    "firewall_port_8000_open", "port 8000 (Kong) opened to the world (`ufw allow 8000`)",
    _after_apply(_both_families(f"-I {INPUT_CHAIN} 1 -p tcp --dport 8000 -j ACCEPT")),
    (FIREWALL,), _cells(("allowed", "other"), (4, 6), (8000,)))

stack_canary(
    "firewall_matches_dport_after_dnat",
    "DOCKER-USER matches --dport instead of the original port: after DNAT it never matches, the allowed client is locked out",
    _after_apply(_both_families(
        f"-S {DOCKER_USER_CHAIN} | grep -- '-s .*--ctorigdstport' | while read -r _ chain rule; do "
        f'"$t" -D "$chain" $rule; "$t" -I "$chain" 2 ${{rule/-m conntrack --ctorigdstport/-m tcp --dport}}; done')),
    (FIREWALL,),
    (*_cells(("allowed",), (4, 6), (5432, 6543)), f"{FIREWALL}::test_allowed_client_logs_in_through_nat[*]"))


# --- pg_hba: a Postgres of its own, started with one broken line in the stack's pg_hba.conf ------

PG_HBA = "test_pg_hba.py"


def pg_hba_canary(name: str, breaks: str, edits: dict[str, str], must_fail: tuple[str, ...]) -> Canary:
    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        hba = env.workdir / "pg_hba.conf"
        shutil.copyfile(STACK_PG_HBA, hba)
        for old, new in edits.items():
            replace_in_file(hba, old, new)
        # The firewall host too where this machine has it: the live class probes run in namespaces.
        capabilities = {Capability.DATABASE} | ({Capability.FIREWALL_HOST} if firewall_host_reason() is None else set())
        with LocalPostgres(env.local.password, hba=hba, label="canary-postgres") as pg:
            yield Target(name="local", capabilities=frozenset(capabilities), direct_dsn=pg.dsn(),
                         label=f"canary:{name}")
    return register(Canary(name, breaks, (PG_HBA,), must_fail, broken))


pg_hba_canary(
    "pg_hba_trust_loopback", "loopback logins trusted: no password asked",
    {"127.0.0.1/32    scram-sha-256": "127.0.0.1/32    trust"},
    (f"{PG_HBA}::test_password_required[direct_dsn]", f"{PG_HBA}::test_rules_as_loaded"))

pg_hba_canary(
    "pg_hba_cleartext_password", "loopback logins with the cleartext `password` method instead of SCRAM",
    {"127.0.0.1/32    scram-sha-256": "127.0.0.1/32    password"},
    (f"{PG_HBA}::test_only_scram_offered", f"{PG_HBA}::test_rules_as_loaded"))

pg_hba_canary(
    "pg_hba_open_to_every_network", "the closing `reject` lines turned into SCRAM logins from anywhere",
    {"0.0.0.0/0       reject": "0.0.0.0/0       scram-sha-256", "::/0            reject": "::/0            scram-sha-256"},
    (f"{PG_HBA}::test_outside_networks_rejected[*]", f"{PG_HBA}::test_unlisted_source_rejected_live"))


_BEFORE_REJECTS = "host    all       all   0.0.0.0/0       reject"


def _admit(line: str) -> dict[str, str]:
    """One line added before the closing reject lines."""
    return {_BEFORE_REJECTS: f"{line}\n{_BEFORE_REJECTS}"}


pg_hba_canary(
    "pg_hba_admits_10_8", "a SCRAM line for 10.0.0.0/8 (an office LAN, say) before the reject lines",
    _admit("host    all       all   10.0.0.0/8      scram-sha-256"),
    (f"{PG_HBA}::test_no_rule_admits_beyond_the_host_and_the_compose_network",
     f"{PG_HBA}::test_outside_networks_rejected[rfc1918-10]", f"{PG_HBA}::test_every_class_refused_live[rfc1918-10]"))

pg_hba_canary(
    "pg_hba_admits_every_ipv4", "a SCRAM line for 0.0.0.0/0 before the reject lines: any IPv4 source may try passwords",
    _admit("host    all       all   0.0.0.0/0       scram-sha-256"),
    (f"{PG_HBA}::test_no_rule_admits_beyond_the_host_and_the_compose_network",
     f"{PG_HBA}::test_every_class_refused_live[public-v4]", f"{PG_HBA}::test_every_class_refused_live[cgnat]",
     f"{PG_HBA}::test_every_class_refused_live[link-local-v4]"))

pg_hba_canary(
    "pg_hba_admits_every_ipv6", "a SCRAM line for ::/0 before the reject lines: any IPv6 source may try passwords",
    _admit("host    all       all   ::/0            scram-sha-256"),
    (f"{PG_HBA}::test_no_rule_admits_beyond_the_host_and_the_compose_network",
     f"{PG_HBA}::test_every_class_refused_live[ula]", f"{PG_HBA}::test_every_class_refused_live[link-local-v6]",
     f"{PG_HBA}::test_every_class_refused_live[public-v6]"))

pg_hba_canary(
    "pg_hba_compose_rule_one_bit_wide", "the compose network's line one prefix bit too wide (172.0.0.0/11)",
    {"172.16.0.0/12   scram-sha-256": "172.0.0.0/11    scram-sha-256"},
    (f"{PG_HBA}::test_no_rule_admits_beyond_the_host_and_the_compose_network",
     f"{PG_HBA}::test_every_class_refused_live[edges-of-the-admitted-networks]"))

pg_hba_canary(
    "pg_hba_hostssl_everywhere", "a hostssl SCRAM line for every IPv4 source (TLS is not a network boundary)",
    _admit("hostssl all       all   0.0.0.0/0       scram-sha-256"),
    (f"{PG_HBA}::test_every_class_refused_live[rfc1918-192]",))
