"""ALLOWED_DB_IPS parsing: exact input or a one-line refusal, never a guess."""
from __future__ import annotations

import ipaddress

import pytest

from spine_harness.firewall.allowlist import AllowlistError, parse_allowed_db_ips


def test_addresses_and_cidrs_of_both_families_in_order_without_duplicates():
    parsed = parse_allowed_db_ips(" 203.0.113.7, 2001:db8::/64,198.51.100.0/24 ,203.0.113.7/32")
    assert parsed == (ipaddress.ip_network("203.0.113.7/32"), ipaddress.ip_network("2001:db8::/64"),
                      ipaddress.ip_network("198.51.100.0/24"))


@pytest.mark.parametrize("text, says", [
    (None, "is empty"),
    ("", "is empty"),
    ("  ", "is empty"),
    ("203.0.113.7,,198.51.100.1", "empty entry"),
    ("203.0.113.7,", "empty entry"),
    ("203.0.113.300", "not an IPv4/IPv6 address"),
    ("db.example.com", "not an IPv4/IPv6 address"),
    ("203.0.113.7/24", "host bits set"),
    ("10.0.0.0/33", "not an IPv4/IPv6 address"),
    ("0.0.0.0/0", "admits every address"),
    ("::/0", "admits every address"),
    ("fe80::1%eth0", "zone index"),
    ("203.0.113.7 198.51.100.1", "not an IPv4/IPv6 address"),
])
def test_bad_lists_are_refused_in_one_line(text, says):
    with pytest.raises(AllowlistError) as info:
        parse_allowed_db_ips(text)
    message = str(info.value)
    assert says in message and "\n" not in message and message.startswith("ALLOWED_DB_IPS")
