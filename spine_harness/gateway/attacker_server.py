"""The attacker's key server for the jku / x5u attacks: a small HTTP server on 127.0.0.1 and a
free port, serving a JWKS (and a "certificate") of the attacker's key and recording every
request it gets. A target that verifies a token by fetching the URL its header names would
fetch from here; the attack checks then prove that no request ever arrived.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator

HOST = "127.0.0.1"
JWKS_PATH = "/.well-known/jwks.json"
X5U_PATH = "/attacker.pem"


class AttackerServer:
    def __init__(self, jwks: dict) -> None:
        self.jwks = jwks
        self.requests: list[str] = []          # "METHOD path" of every request received
        self._lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:          # noqa: N802 (http.server's naming)
                with owner._lock:
                    owner.requests.append(f"GET {self.path}")
                body = json.dumps(owner.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="attacker-jwks", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    @property
    def jku(self) -> str:
        return self.base_url + JWKS_PATH

    @property
    def x5u(self) -> str:
        return self.base_url + X5U_PATH

    def fetched(self) -> list[str]:
        with self._lock:
            return list(self.requests)

    def start(self) -> "AttackerServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def serving(jwks: dict) -> Iterator[AttackerServer]:
    server = AttackerServer(jwks).start()
    try:
        yield server
    finally:
        server.stop()
