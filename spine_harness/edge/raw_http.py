"""One HTTP/1.1 request written byte for byte: the request line and headers exactly as given.

Clients such as httpx normalise what they send (dot segments, the Host header, a body that
matches its length); probes of how the edge treats a hostile request need the hostile bytes on
the wire, so this writes them itself and reads back only the status line and headers.
"""
from __future__ import annotations

import dataclasses
import socket
import ssl


@dataclasses.dataclass(frozen=True)
class RawResponse:
    status: int | None          # None: the connection closed without an answer
    headers: dict[str, str]     # lower-case names; a repeated header keeps its last value
    request: str                # the request line, for messages

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __str__(self) -> str:
        return f"{self.request} -> {self.status if self.status is not None else 'connection closed'}"


def send(address: str, port: int, request_line: str, headers: list[tuple[str, str]], *,
         tls: ssl.SSLContext | None = None, server_name: str | None = None, body: bytes = b"",
         timeout: float = 5) -> RawResponse:
    """Send one request (`Connection: close` is added) and read the answer's head."""
    head = "\r\n".join([request_line, *(f"{k}: {v}" for k, v in headers), "Connection: close", "", ""])
    with socket.create_connection((address, port), timeout=timeout) as raw:
        sock = tls.wrap_socket(raw, server_hostname=server_name) if tls else raw
        with sock:
            try:
                sock.sendall(head.encode("latin-1") + body)
            except (BrokenPipeError, ConnectionResetError):
                pass     # the server answered before reading all of it: read what it said
            data = b""
            while b"\r\n\r\n" not in data:
                try:
                    chunk = sock.recv(65536)
                except (ConnectionResetError, ssl.SSLError, TimeoutError):
                    break
                if not chunk:
                    break
                data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    fields = dict((k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]) if k)
    return RawResponse(status, fields, request_line)
