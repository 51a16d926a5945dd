"""The address space in classes, what the Spine's Postgres may admit, and an address of each class
it must refuse: the sources the pg_hba suite connects from.

The classes are those of the IANA special-purpose registries (RFC 6890 and its updates) that can
be a TCP source, plus the public space of each family. The Spine's Postgres may admit only its
own host's loopback clients and the compose network the services run on (its subnets as the
compose file declares them, else Docker's default bridge pool); every other source, of whatever
class, must be refused. Each pg_hba rule that admits also yields the addresses just outside its
network, so a rule written one prefix bit too wide shows at its edges.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Docker's default bridge address pool (172.17.0.0/16 to 172.31.0.0/16), which compose networks
# draw from when the compose file names no subnet; the stack's pg_hba admits it as 172.16.0.0/12.
DOCKER_DEFAULT_POOL = (ipaddress.ip_network("172.16.0.0/12"),)
HOST_LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128"))


@dataclasses.dataclass(frozen=True)
class AddressClass:
    name: str
    network: IPNetwork
    what: str

    @property
    def link_local(self) -> bool:
        return self.network.version == 6 and self.network.subnet_of(ipaddress.ip_network("fe80::/10"))


CLASSES = (
    AddressClass("loopback-v4", ipaddress.ip_network("127.0.0.0/8"), "loopback beyond the host's own 127.0.0.1"),
    AddressClass("rfc1918-10", ipaddress.ip_network("10.0.0.0/8"), "private (RFC 1918)"),
    AddressClass("rfc1918-172", ipaddress.ip_network("172.16.0.0/12"), "private (RFC 1918), Docker's pool"),
    AddressClass("rfc1918-192", ipaddress.ip_network("192.168.0.0/16"), "private (RFC 1918)"),
    AddressClass("cgnat", ipaddress.ip_network("100.64.0.0/10"), "carrier-grade NAT shared space (RFC 6598)"),
    AddressClass("link-local-v4", ipaddress.ip_network("169.254.0.0/16"), "link-local (RFC 3927), cloud metadata"),
    AddressClass("ietf-assignments", ipaddress.ip_network("192.0.0.0/24"), "IETF protocol assignments"),
    AddressClass("test-net-1", ipaddress.ip_network("192.0.2.0/24"), "documentation (RFC 5737)"),
    AddressClass("benchmarking", ipaddress.ip_network("198.18.0.0/15"), "benchmarking (RFC 2544)"),
    AddressClass("test-net-2", ipaddress.ip_network("198.51.100.0/24"), "documentation (RFC 5737)"),
    AddressClass("test-net-3", ipaddress.ip_network("203.0.113.0/24"), "documentation (RFC 5737)"),
    AddressClass("public-v4", ipaddress.ip_network("0.0.0.0/0"), "public internet"),
    AddressClass("loopback-v6", ipaddress.ip_network("::1/128"), "IPv6 loopback"),
    AddressClass("ula", ipaddress.ip_network("fc00::/7"), "IPv6 unique local (RFC 4193)"),
    AddressClass("link-local-v6", ipaddress.ip_network("fe80::/10"), "IPv6 link-local"),
    AddressClass("documentation-v6", ipaddress.ip_network("2001:db8::/32"), "IPv6 documentation (RFC 3849)"),
    AddressClass("public-v6", ipaddress.ip_network("2000::/3"), "IPv6 global unicast"),
)
# Where a class is the whole family, its address must lie in no narrower class.
_NARROWER = {c.name: [o.network for o in CLASSES if o is not c and o.network.version == c.network.version
                      and o.network.subnet_of(c.network)] for c in CLASSES}


def compose_networks(compose_networks_spec: dict | None) -> tuple[IPNetwork, ...]:
    """The subnets a compose file's `networks:` declare (ipam config), else Docker's default pool."""
    subnets = []
    for network in (compose_networks_spec or {}).values():
        for config in ((network or {}).get("ipam") or {}).get("config") or []:
            if config.get("subnet"):
                subnets.append(ipaddress.ip_network(config["subnet"], strict=False))
    return tuple(subnets) or DOCKER_DEFAULT_POOL


def permitted(compose: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """What the Spine's Postgres may admit: the host's loopback clients and the compose network."""
    return (*HOST_LOOPBACK, *compose)


def _inside(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def representative(cls: AddressClass, allowed: Iterable[IPNetwork], scan: int = 4096) -> IPAddress | None:
    """The first address of the class (after its network address) that may not be admitted and
    belongs to no narrower class; None when the whole class may be admitted."""
    allowed = tuple(allowed)
    start = int(cls.network.network_address) + 1
    if cls.name == "public-v4":
        start = int(ipaddress.ip_address("1.0.0.1"))     # 0.0.0.0/8 is "this network", never a source
    kind = type(cls.network.network_address)
    for n in range(start, min(start + scan, int(cls.network.broadcast_address) + 1)):
        address = kind(n)
        if not _inside(address, allowed) and not _inside(address, _NARROWER[cls.name]):
            return address
    return None


def just_outside(network: IPNetwork) -> list[IPAddress]:
    """The addresses either side of a network (none past either end of the family)."""
    low, high = int(network.network_address) - 1, int(network.broadcast_address) + 1
    top = 2 ** network.max_prefixlen - 1
    kind = type(network.network_address)
    return [kind(n) for n in (low, high) if 0 < n < top]


def hba_network(address: str | None, netmask: str | None) -> IPNetwork | None:
    """A pg_hba_file_rules row's address as a network (None for all/samehost/samenet or a name)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = bin(int(ipaddress.ip_address(netmask))).count("1") if netmask else ip.max_prefixlen
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


_NOT_SOURCES = tuple(ipaddress.ip_network(n) for n in ("0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/3", "::/8", "ff00::/8"))


def usable_source(address: IPAddress) -> bool:
    """Whether an address can be given to an interface and connect from it in a namespace (the
    loopback class has its own representative; 'this network', multicast and class E cannot)."""
    return not _inside(address, _NOT_SOURCES)
