"""Canaries for the TLS edge: broken copies of the stack's nginx site, which the edge suite's
local nginx loads from the stack copy it is handed."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.canaries import replace_in_file, stack_canary
from spine_harness.edge.endpoint import SITE

EDGE = "test_edge.py"


def _site(old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    return lambda copy: replace_in_file(copy / SITE, old, new, count)


stack_canary(
    "edge_tlsv1_enabled", "TLS 1.0 and 1.1 enabled, with the CBC suites they need and OpenSSL's floor lowered",
    _site("ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_ciphers ",
          "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;\n    ssl_ciphers ECDHE-RSA-AES128-SHA:@SECLEVEL=0:"),
    (EDGE,), (f"{EDGE}::test_tls_protocol[TLSv1-False]", f"{EDGE}::test_tls_protocol[TLSv1.1-False]",
              f"{EDGE}::test_no_weak_ciphers"))

stack_canary(
    "edge_weak_cipher", "a suite without forward secrecy (AES128-SHA, RSA key exchange) added to ssl_ciphers",
    _site("ssl_ciphers ", "ssl_ciphers AES128-SHA:"),
    (EDGE,), (f"{EDGE}::test_no_weak_ciphers",))

stack_canary(
    "edge_hsts_not_always", "HSTS without `always`: nginx drops it from error pages",
    _site('includeSubDomains" always;', 'includeSubDomains";'),
    (EDGE,), (f"{EDGE}::test_hsts_on_every_response[upstream-error]",
              f"{EDGE}::test_hsts_on_every_response[nginx-error-413]"))

stack_canary(
    "edge_redirect_to_http", "the HTTP server redirects to http:// (a loop, never TLS)",
    _site("return 301 https://", "return 301 http://"),
    (EDGE,), (f"{EDGE}::test_http_redirects_to_https",))

stack_canary(
    "edge_websocket_headers_missing", "no Upgrade/Connection headers passed to Kong: websockets cannot open",
    lambda copy: [replace_in_file(copy / SITE, line, "") for line in (
        "    proxy_set_header Upgrade $http_upgrade;\n", "    proxy_set_header Connection $connection_upgrade;\n")],
    (EDGE,), (f"{EDGE}::test_websocket_upgrade_on_realtime",))

stack_canary(
    "edge_realtime_default_timeout", "no proxy_read_timeout for /realtime/v1/: idle websockets cut after 60 s",
    _site("        proxy_read_timeout 1h;\n", ""),
    (EDGE,), (f"{EDGE}::test_realtime_idle_socket_not_cut",))

stack_canary(
    "edge_forwarded_for_trusted", "X-Forwarded-For passes on whatever the client claimed",
    _site("X-Forwarded-For $remote_addr;", "X-Forwarded-For $proxy_add_x_forwarded_for;"),
    (EDGE,), (f"{EDGE}::test_api_path_reaches_upstream[*]",))

stack_canary(
    "edge_server_tokens_on", "server_tokens left on: the nginx version in headers and error pages",
    _site("    server_tokens off;\n", "", count=2),
    (EDGE,), (f"{EDGE}::test_version_not_advertised",))

stack_canary(
    "edge_no_body_limit", "client_max_body_size 0: bodies of any size passed to Kong",
    _site("client_max_body_size 10m;", "client_max_body_size 0;"),
    (EDGE,), (f"{EDGE}::test_oversize_body_refused",))


# --- one location broken at a time (the per-location suite) --------------------------------------
LOCATIONS = "test_edge_locations.py"
_STORAGE = "    location /storage/v1/ {\n        proxy_pass http://supabase_kong;\n"


def _new_location(body: str) -> Callable[[Path], None]:
    """A new location for Edge Functions, added before Storage's, with `body` inside it."""
    functions = "    location /functions/v1/ {\n        proxy_pass http://supabase_kong;\n" + body + "    }\n\n"
    return _site(_STORAGE, functions + _STORAGE)


stack_canary(
    "edge_location_own_add_header",
    "Storage's location given an add_header of its own (CORS for public buckets): the server's HSTS is dropped there",
    _site("        proxy_request_buffering off;\n",
          '        proxy_request_buffering off;\n        add_header Access-Control-Allow-Origin "*" always;\n'),
    (LOCATIONS,), (f"{LOCATIONS}::test_location_sends_hsts[/storage/v1/]",))

# A location the suite has never seen: its case exists only in the broken copy, so the pattern
# names whichever location fails (the healthy ones do not).
stack_canary(
    "edge_new_location_without_hsts", "a new location for Edge Functions with an add_header: no HSTS there",
    _new_location("        add_header X-Content-Type-Options nosniff always;\n"),
    (LOCATIONS,), (f"{LOCATIONS}::test_location_sends_hsts[/*]",))

stack_canary(
    "edge_location_no_body_limit", "client_max_body_size 0 in the Realtime location: any body passed to Kong",
    _site("        proxy_read_timeout 1h;\n", "        proxy_read_timeout 1h;\n        client_max_body_size 0;\n"),
    (LOCATIONS,), (f"{LOCATIONS}::test_location_limits_the_body[/realtime/v1/]",))

stack_canary(
    "edge_location_forwarded_for_passed",
    "Storage's location passes the client's X-Forwarded-For on (and so loses the server's other proxy_set_header lines)",
    _site("        proxy_request_buffering off;\n",
          "        proxy_request_buffering off;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"),
    (LOCATIONS,), (f"{LOCATIONS}::test_location_states_the_client_facts[/storage/v1/]",))

stack_canary(
    "edge_location_proxy_pass_slash", "Storage's location without its trailing slash, proxy_pass with one: `/storage/v1../` escapes",
    _site(_STORAGE, "    location /storage/v1 {\n        proxy_pass http://supabase_kong/storage/v1/;\n"),
    (LOCATIONS,), (f"{LOCATIONS}::test_location_path_arrives_where_it_was_sent[/storage/v1*]",))

stack_canary(
    "edge_redirect_from_host", "the HTTP redirect built from $host: the client's Host or request line picks the target",
    _site("return 301 https://$server_name$request_uri;", "return 301 https://$host$request_uri;"),
    (LOCATIONS,), (f"{LOCATIONS}::test_http_redirect_stays_on_the_site[foreign-host]",
                   f"{LOCATIONS}::test_http_redirect_stays_on_the_site[absolute-uri]"))

stack_canary(
    "edge_redirect_from_http_host", "the HTTP redirect built from $http_host: the Host header as sent, port and all",
    _site("return 301 https://$server_name$request_uri;", "return 301 https://$http_host$request_uri;"),
    (LOCATIONS,), (f"{LOCATIONS}::test_http_redirect_stays_on_the_site[host-with-port]",
                   f"{LOCATIONS}::test_http_redirect_stays_on_the_site[host-with-userinfo]"))

stack_canary(
    "edge_location_foreign_host_forwarded", "Kong told the client's Host ($host) instead of the site's name",
    _site("proxy_set_header Host $server_name;", "proxy_set_header Host $host;"),
    (LOCATIONS,), (f"{LOCATIONS}::test_location_states_the_client_facts[/]",))
