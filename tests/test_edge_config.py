"""The edge suite's own tools: reading nginx's configuration dump, judging cipher suites, and
finding a remote edge."""
from __future__ import annotations

import pytest

from spine_harness.edge import nginx_config, tls
from spine_harness.edge.endpoint import Edge

DUMP = """nginx: the configuration file /w/nginx.conf syntax is ok
# configuration file /w/nginx.conf:
http {
    proxy_read_timeout 30s;   # http level
    include /s/site.conf;
}

# configuration file /s/site.conf:
server {
    include inc/listen.conf;
    location / { proxy_pass http://up; }
    location /realtime/v1/ { proxy_read_timeout "1h"; }
}

# configuration file /w/inc/listen.conf:
listen 127.0.0.1:8443 ssl;
"""


def test_includes_are_resolved_relative_to_the_main_configuration():
    tree = nginx_config.parse(DUMP, "/w/nginx.conf")
    server = tree[0].block[1]
    assert server.name == "server" and server.block[0].name == "listen" and server.block[0].args[0] == "127.0.0.1:8443"


def test_a_location_inherits_what_it_does_not_set():
    tree = nginx_config.parse(DUMP, "/w/nginx.conf")
    assert nginx_config.value_in_location(tree, "proxy_read_timeout", "/realtime/v1/") == ["1h"]
    assert nginx_config.value_in_location(tree, "proxy_read_timeout", "/") == ["30s"]
    assert nginx_config.value_in_location(tree, "client_max_body_size", "/") is None
    with pytest.raises(LookupError):
        nginx_config.value_in_location(tree, "proxy_read_timeout", "/nowhere/")


@pytest.mark.parametrize("value, seconds", [("75", 75), ("90s", 90), ("1h", 3600), ("1h30m", 5400), ("500ms", 0.5)])
def test_nginx_times(value, seconds):
    assert nginx_config.seconds(value) == seconds


@pytest.mark.parametrize("name, weak", [
    ("ECDHE-RSA-AES128-GCM-SHA256", False), ("ECDHE-RSA-CHACHA20-POLY1305", False),
    ("ECDHE-RSA-AES128-SHA", True), ("AES128-GCM-SHA256", True), ("AES256-SHA", True),
])
def test_cipher_weakness(name, weak):
    suite = next(s for s in tls.tls12_suites() if s["name"] == name)
    assert (tls.weakness(suite) is not None) == weak


def test_remote_edge_from_its_url():
    edge = Edge.remote("https://supabase.gerege.mn")
    assert (edge.https_url, edge.http_url, edge.upstream) == ("https://supabase.gerege.mn:443",
                                                               "http://supabase.gerege.mn:80", None)
