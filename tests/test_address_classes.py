"""The pg_hba suite's address classes: every class has an address the Spine may not admit unless
the whole class is admissible, and the edges of a network are just outside it."""
from __future__ import annotations

import ipaddress

from spine_harness.network import address_classes as classes

PERMITTED = classes.permitted(classes.compose_networks(None))


def test_a_representative_per_class_outside_what_may_be_admitted():
    found = {c.name: classes.representative(c, PERMITTED) for c in classes.CLASSES}
    assert found["rfc1918-172"] is None and found["loopback-v6"] is None     # all of them may be admitted
    assert str(found["loopback-v4"]) == "127.0.0.2" and str(found["link-local-v6"]) == "fe80::1"
    for c in classes.CLASSES:
        address = found[c.name]
        if address is not None:
            assert address in c.network and not any(address.version == p.version and address in p for p in PERMITTED)
    assert str(found["public-v4"]) == "1.0.0.1" and ipaddress.ip_address(found["public-v6"]).is_global


def test_the_compose_file_subnets_replace_dockers_pool():
    spec = {"default": {"ipam": {"config": [{"subnet": "10.5.0.0/16"}]}}, "other": None}
    assert classes.compose_networks(spec) == (ipaddress.ip_network("10.5.0.0/16"),)
    assert classes.compose_networks({"default": {}}) == classes.DOCKER_DEFAULT_POOL


def test_just_outside_a_network():
    assert list(map(str, classes.just_outside(ipaddress.ip_network("172.16.0.0/12")))) == ["172.15.255.255", "172.32.0.0"]
    assert classes.just_outside(ipaddress.ip_network("0.0.0.0/0")) == []
    assert not classes.usable_source(ipaddress.ip_address("127.0.0.0"))
    assert classes.usable_source(ipaddress.ip_address("172.32.0.0"))


def test_hba_rows_as_networks():
    assert classes.hba_network("10.0.0.0", "255.0.0.0") == ipaddress.ip_network("10.0.0.0/8")
    assert classes.hba_network("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == ipaddress.ip_network("::1/128")
    assert classes.hba_network("all", None) is None and classes.hba_network("db.example", None) is None
