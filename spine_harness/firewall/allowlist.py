"""ALLOWED_DB_IPS: the only sources the database ports (5432, 6543) admit.

The parser refuses anything it cannot read exactly. A typo must stop the script before it
touches a rule: a firewall that guesses either locks the clients out or, worse, fails open.
"""
from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
EXAMPLE = "203.0.113.7,2001:db8::/64"


class AllowlistError(ValueError):
    """ALLOWED_DB_IPS cannot be used; the message is one line saying why and what to write."""


def parse_allowed_db_ips(text: str | None) -> tuple[Network, ...]:
    """Comma-separated IPv4/IPv6 addresses or CIDRs, in the order given, duplicates dropped."""
    if text is None or not text.strip():
        raise AllowlistError(f"ALLOWED_DB_IPS is empty: list the addresses or CIDRs that may reach the "
                             f"database ports, e.g. ALLOWED_DB_IPS={EXAMPLE}")
    networks: list[Network] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            raise AllowlistError(f"ALLOWED_DB_IPS {text!r} has an empty entry: separate entries with single commas")
        if "%" in entry:
            raise AllowlistError(f"ALLOWED_DB_IPS entry {entry!r} carries a zone index: firewall rules take plain addresses")
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError as exc:
            raise AllowlistError(f"ALLOWED_DB_IPS entry {entry!r} is not an IPv4/IPv6 address or CIDR ({exc})") from None
        if network.prefixlen == 0:
            raise AllowlistError(f"ALLOWED_DB_IPS entry {entry!r} admits every address: list the clients instead")
        if network not in networks:
            networks.append(network)
    return tuple(networks)
