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
