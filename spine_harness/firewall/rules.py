"""The rule set, built from the architecture's ports table and the allowlist, per IP family.

Two chains of our own, replaced whole on every run so that running twice gives the same rules:
- SPINE-INPUT, jumped to first from INPUT: the host's own listeners (sshd, nginx, anything
  bound to a public address). Public ports open, database ports for the allowlist, the rest dropped.
- SPINE-DOCKER-USER, jumped to first from Docker's DOCKER-USER chain. Docker publishes container
  ports by DNAT in PREROUTING; that traffic is forwarded, so INPUT never sees it. After DNAT the
  destination port is the container's, so the rules match the port the client asked for
  (`--ctorigdstport`). Anything else that Docker publishes is dropped: a port the ports table
  does not list as public must not become reachable because a compose file published it.
"""
from __future__ import annotations

import dataclasses

from spine_harness.deployment.architecture import ALLOWLIST_PORTS, PUBLIC_PORTS
from spine_harness.firewall.allowlist import Network

INPUT_CHAIN = "SPINE-INPUT"
DOCKER_USER_CHAIN = "SPINE-DOCKER-USER"
DOCKER_USER = "DOCKER-USER"
# (built-in or Docker chain, our chain it jumps to first)
HOOKS = (("INPUT", INPUT_CHAIN), (DOCKER_USER, DOCKER_USER_CHAIN))


@dataclasses.dataclass(frozen=True)
class Family:
    name: str        # "IPv4" / "IPv6"
    version: int
    tool: str        # iptables / ip6tables
    icmp: str        # the ICMP protocol name; IPv6 dies without neighbour discovery

    @property
    def restore_tool(self) -> str:
        return f"{self.tool}-restore"


IPV4 = Family("IPv4", 4, "iptables", "icmp")
IPV6 = Family("IPv6", 6, "ip6tables", "ipv6-icmp")
FAMILIES = (IPV4, IPV6)


@dataclasses.dataclass(frozen=True)
class FamilyRules:
    family: Family
    chains: dict[str, tuple[str, ...]]   # our chain -> its rules, without `-A CHAIN`

    def restore_text(self) -> str:
        """Input for `iptables-restore --noflush`: declaring a chain there empties it first, so the
        chains are replaced atomically and nothing else in the table is touched."""
        lines = ["*filter", *(f":{chain} - [0:0]" for chain in self.chains)]
        lines += [f"-A {chain} {rule}" for chain, rules in self.chains.items() for rule in rules]
        return "\n".join([*lines, "COMMIT", ""])

    def hook_rules(self) -> tuple[str, ...]:
        return tuple(f"-I {parent} 1 -j {chain}" for parent, chain in HOOKS)

    def describe(self) -> str:
        """What a dry run prints for this family."""
        hooks = "\n".join(f"{self.family.tool} {rule}" for rule in self.hook_rules())
        return (f"# {self.family.name}: {self.family.restore_tool} --noflush <<EOF\n{self.restore_text()}EOF\n"
                f"# then, unless already first in its chain:\n{hooks}\n")


def _ports(ports: tuple[int, ...]) -> str:
    return ",".join(map(str, ports))


def build_family(family: Family, allowed: tuple[Network, ...]) -> FamilyRules:
    sources = [net for net in allowed if net.version == family.version]
    db_ports = _ports(ALLOWLIST_PORTS)
    input_rules = [
        "-i lo -j ACCEPT",
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-m conntrack --ctstate INVALID -j DROP",
        f"-p {family.icmp} -j ACCEPT",
        f"-p tcp -m multiport --dports {_ports(PUBLIC_PORTS)} -j ACCEPT",
        *(f"-s {net} -p tcp -m multiport --dports {db_ports} -j ACCEPT" for net in sources),
        "-j DROP",
    ]
    forward_rules = [
        # Replies of admitted connections carry the container's address as source.
        "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        *(f"-p tcp -m conntrack --ctorigdstport {port} -j RETURN" for port in PUBLIC_PORTS),
        *(f"-s {net} -p tcp -m conntrack --ctorigdstport {port} -j RETURN"
          for port in ALLOWLIST_PORTS for net in sources),
        *(f"-p tcp -m conntrack --ctorigdstport {port} -j DROP" for port in ALLOWLIST_PORTS),
        "-m conntrack --ctstate DNAT -j DROP",
    ]
    return FamilyRules(family, {INPUT_CHAIN: tuple(input_rules), DOCKER_USER_CHAIN: tuple(forward_rules)})


def build(allowed: tuple[Network, ...]) -> tuple[FamilyRules, ...]:
    """The whole rule set, IPv4 and IPv6: a family with no allowed source gets no database access."""
    return tuple(build_family(family, allowed) for family in FAMILIES)
