"""The firewall suite's network: a server host with Docker-style NAT, a container behind it, and
two clients on the host's LAN, one in ALLOWED_DB_IPS and one not; IPv4 and IPv6 throughout.

    allowed client 198.51.100.10 / 2001:db8:100::10 --+
                                                      +-- lan0 [ server host 198.51.100.1 / 2001:db8:100::1 ]
    other client   198.51.100.20 / 2001:db8:100::20 --+      listeners on every non-database port of the
                                                             ports table (bound to every address, the worst case)
                                                             docker0 192.0.2.1 / 2001:db8:17::1
                                                               |  DNAT 5432, 6543 (Docker's rules)
                                                             container 192.0.2.2 / 2001:db8:17::2
                                                               relays to the real Postgres / PgBouncer

Documentation prefixes only, inside namespaces only: no packet can leave for a real network.
"""
from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

from spine_harness.deployment.architecture import ALLOWLIST_PORTS, PORTS
from spine_harness.network.docker_nat import docker_rules
from spine_harness.network.listeners import Listeners
from spine_harness.network.namespace import Namespace, sweep_stale_namespaces

UNLISTED_PORT = 9999     # stands for any port the ports table does not name
PROBED_PORTS = (*(p.number for p in PORTS), UNLISTED_PORT)
LAN = ("198.51.100.0/24", "2001:db8:100::/64")
DOCKER_NET = ("192.0.2.0/24", "2001:db8:17::/64")
ALLOWED_DB_IPS = "198.51.100.8/29,2001:db8:100::10"   # the allowed client, not the other one


@dataclasses.dataclass(frozen=True)
class Station:
    """A machine of the testbed: its namespace and its IPv4 and IPv6 address."""

    label: str
    ns: Namespace
    v4: str
    v6: str

    def address(self, version: int) -> str:
        return self.v4 if version == 4 else self.v6


class FirewallTestbed:
    """Build, use, always tear down. `db_upstreams` maps each published database port to the
    server (host, port) in the harness's namespace that the container relays it to."""

    def __init__(self, db_upstreams: dict[int, tuple[str, int]]):
        missing = set(ALLOWLIST_PORTS) - set(db_upstreams)
        if missing:
            raise ValueError(f"no server to put behind published port(s) {sorted(missing)}")
        self.db_upstreams = db_upstreams
        self.host = Station("host itself", Namespace("host"), "198.51.100.1", "2001:db8:100::1")
        self.container = Station("container", Namespace("ctr"), "192.0.2.2", "2001:db8:17::2")
        self.allowed = Station("allowed client", Namespace("allowed"), "198.51.100.10", "2001:db8:100::10")
        self.other = Station("other client", Namespace("other"), "198.51.100.20", "2001:db8:100::20")
        self.listeners = Listeners()

    @property
    def stations(self) -> tuple[Station, ...]:
        return (self.host, self.container, self.allowed, self.other)

    @property
    def probe_sources(self) -> tuple[Station, ...]:
        return (self.allowed, self.other, self.host)

    def start(self) -> "FirewallTestbed":
        sweep_stale_namespaces()
        try:
            for station in self.stations:
                station.ns.create()
                # Usable at once: duplicate address detection would hold new IPv6 addresses back.
                station.ns.sysctl("net.ipv6.conf.default.accept_dad=0")
                station.ns.sysctl("net.ipv6.conf.all.accept_dad=0")
            self._wire()
            self._serve()
        except BaseException:
            self.stop()
            raise
        return self

    def _wire(self) -> None:
        host = self.host.ns
        for name, addrs in (("lan0", (self.host.v4 + "/24", self.host.v6 + "/64")),
                            ("docker0", ("192.0.2.1/24", "2001:db8:17::1/64"))):
            host.ip("link", "add", name, "type", "bridge")
            for addr in addrs:
                host.ip("addr", "add", addr, "dev", name)
            host.ip("link", "set", name, "up")
        for station, bridge, port in ((self.allowed, "lan0", "veth-allowed"), (self.other, "lan0", "veth-other"),
                                      (self.container, "docker0", "veth-ctr")):
            host.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", station.ns.name)
            host.ip("link", "set", port, "master", bridge, "up")
            station.ns.ip("addr", "add", f"{station.v4}/24", "dev", "eth0")
            station.ns.ip("addr", "add", f"{station.v6}/64", "dev", "eth0")
            station.ns.ip("link", "set", "eth0", "up")
        self.container.ns.ip("route", "add", "default", "via", "192.0.2.1")
        self.container.ns.ip("-6", "route", "add", "default", "via", "2001:db8:17::1")
        host.sysctl("net.ipv4.ip_forward=1")
        host.sysctl("net.ipv6.conf.all.forwarding=1")

    def _serve(self) -> None:
        for port in PROBED_PORTS:
            if port not in ALLOWLIST_PORTS:
                self.listeners.banner(self.host.ns, port)
        published = {port: self.listeners.relay(self.container.ns, self.db_upstreams[port]) for port in ALLOWLIST_PORTS}
        self.listeners.start()
        for version, subnet in zip((4, 6), DOCKER_NET):
            tool = "iptables-restore" if version == 4 else "ip6tables-restore"
            rules = docker_rules(version, "docker0", subnet, self.container.address(version), published)
            self.host.ns.run([tool, "--noflush"], stdin=rules, check=True)

    def run_script(self, script: Path, allowed: str | None, *args: str):
        """Run the stack's firewall script on the server host, as an operator would."""
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "PYTHON": sys.executable}
        if allowed is not None:
            env["ALLOWED_DB_IPS"] = allowed
        return self.host.ns.run(["bash", str(script), *args], env=env)

    def rules_in_force(self) -> str:
        """The server host's filter and nat tables, both families, without counters and comments."""
        out = []
        for tool in ("iptables-save", "ip6tables-save"):
            text = self.host.ns.run([tool], check=True).stdout
            out.append(f"# {tool}\n" + "\n".join(
                re.sub(r"\[\d+:\d+\]", "", line) for line in text.splitlines() if not line.startswith("#")))
        return "\n".join(out)

    def stop(self) -> None:
        self.listeners.stop()
        for station in self.stations:
            station.ns.delete()

    def __enter__(self) -> "FirewallTestbed":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
