"""The local edge's stand-in for Kong: it records what nginx forwarded and answers with it.

Answers every request with 200 (or the status named in the `x-echo-status` request header, so
the suite can ask for an upstream error page) and a JSON echo; accepts a websocket upgrade and
echoes its messages. Werkzeug's server and simple-websocket do the protocol work.
"""
from __future__ import annotations

import dataclasses
import http
import json
import threading

import simple_websocket
from werkzeug.serving import WSGIRequestHandler, make_server

STATUS_HEADER = "x-echo-status"
MARKER_HEADER = "x-probe-id"


@dataclasses.dataclass(frozen=True)
class ReceivedRequest:
    method: str
    uri: str                   # path and query exactly as nginx sent them (the request line's target)
    headers: dict[str, str]    # lower-case names
    body: bytes


RAW_TARGET_KEY = "spine.raw_target"


class _QuietHandler(WSGIRequestHandler):
    def log(self, *args, **kwargs) -> None:
        pass

    def make_environ(self):
        """Werkzeug reads a target starting `//` as a host and a path; keep what was on the wire."""
        environ = super().make_environ()
        environ[RAW_TARGET_KEY] = self.path
        return environ


class EchoUpstream:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = 0
        self._received: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._server = None
        self._thread: threading.Thread | None = None

    def _app(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            return self._echo_websocket(environ, start_response)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        target = environ.get(RAW_TARGET_KEY) or environ.get("REQUEST_URI", "")
        request = ReceivedRequest(environ["REQUEST_METHOD"], target, headers, body)
        with self._lock:
            self._received.append(request)
        status = int(headers.get(STATUS_HEADER, 200))
        payload = json.dumps({"method": request.method, "uri": request.uri, "body_bytes": len(body)}).encode()
        start_response(f"{status} {http.HTTPStatus(status).phrase}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    def _echo_websocket(self, environ, start_response):
        ws = simple_websocket.Server(environ)
        try:
            while True:
                ws.send(ws.receive())
        except simple_websocket.ConnectionClosed:
            pass
        start_response("200 OK", [])
        return []

    def received(self, marker: str) -> ReceivedRequest | None:
        """The request that carried `x-probe-id: marker`, if it reached the upstream."""
        with self._lock:
            return next((r for r in self._received if r.headers.get(MARKER_HEADER) == marker), None)

    def start(self) -> "EchoUpstream":
        self._server = make_server(self.host, 0, self._app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="spine-echo-upstream", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "EchoUpstream":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
