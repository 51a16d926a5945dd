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


# --- locations ---------------------------------------------------------------------------------
from spine_harness.edge import locations as site  # noqa: E402

SITE_TEXT = """
server {
    return 301 https://$server_name$request_uri;
}
server {
    server_name example.test;
    add_header Strict-Transport-Security "max-age=63072000" always;
    proxy_set_header X-Forwarded-For $remote_addr;
    client_max_body_size 10m;
    include spine-edge/listen-https.conf;
    location / { proxy_pass http://up; }
    location /own/ { add_header X-Other 1; proxy_pass http://up; }
    location = /exact { proxy_pass http://up; }
    location ~ \\.php$ { return 403; }
    location /big/ { client_max_body_size 50m; location /big/inner/ { proxy_pass http://up; } }
}
"""


@pytest.fixture
def found():
    return site.site_locations(nginx_config.parse_site(SITE_TEXT))


def test_every_location_is_found_nested_ones_too(found):
    assert [loc.id for loc in found] == ["/", "/own/", "=/exact", "~\\.php$", "/big/", "/big/inner/"]
    assert site.redirecting_servers(nginx_config.parse_site(SITE_TEXT)) == [["301", "https://$server_name$request_uri"]]


def test_an_add_header_of_its_own_drops_the_inherited_ones(found):
    by_id = {loc.id: loc for loc in found}
    assert by_id["/"].header_set("add_header", "strict-transport-security") == "max-age=63072000 always"
    assert by_id["/own/"].header_set("add_header", "Strict-Transport-Security") is None
    assert by_id["/own/"].header_set("proxy_set_header", "X-Forwarded-For") == "$remote_addr"


def test_the_body_limit_in_force_is_the_nearest_one(found):
    by_id = {loc.id: loc for loc in found}
    assert [by_id[i].body_limit for i in ("/", "/big/", "/big/inner/")] == ["10m", "50m", "50m"]
    assert site.size_bytes("10m") == 10 * 1024 ** 2 and site.size_bytes("0") == 0
    with pytest.raises(ValueError):
        site.size_bytes("ten")


def test_a_probe_path_reaches_its_own_location_only(found):
    paths = {loc.id: site.probe_path(loc, found) for loc in found}
    assert paths == {"/": "/spine-probe", "/own/": "/own/spine-probe", "=/exact": "/exact", "~\\.php$": None,
                     "/big/": "/big/spine-probe", "/big/inner/": "/big/inner/spine-probe"}


@pytest.mark.parametrize("target, path", [
    ("/a/b?x=1", "/a/b"), ("/a/../b", "/b"), ("/a/%2e%2e/b", "/b"), ("/a/..%2Fb", "/b"), ("//a//b", "/a/b"),
    ("/a/./b/", "/a/b/"), ("/a/..", "/"), ("/../x", None), ("https://evil.example/a/b", "/a/b"), ("*", None),
])
def test_paths_normalised_as_nginx_does(target, path):
    assert site.normalised(target) == path


def test_path_variants_start_inside_the_location(found):
    by_id = {loc.id: loc for loc in found}
    variants = site.path_variants(by_id["/own/"])
    assert variants["off-by-slash"] == "/own../pg/spine-probe" and all(v.lstrip("/").startswith("own") for v in variants.values())
    assert "off-by-slash" not in site.path_variants(by_id["/"]) and site.path_variants(by_id["=/exact"]) == {}
