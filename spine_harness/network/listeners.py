"""TCP listeners inside namespaces, all served by one thread.

A banner listener answers every connection with its port number, so a probe knows it reached
that listener and not something else. A relay forwards each connection to a server in the
harness's own namespace (the local Postgres or PgBouncer on loopback), as Supavisor's container
does behind Docker's NAT: a probe through it ends in a real login.
"""
from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Callable

from spine_harness.network.namespace import Namespace


class Listeners:
    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def _listen(self, ns: Namespace | None, port: int, on_accept: Callable[[socket.socket], None]) -> int:
        """Listen on every address of `ns`, IPv4 and IPv6 (without a namespace: on the harness's own
        loopback only); port 0 lets the kernel choose."""
        if ns is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = "127.0.0.1"
        else:
            with ns.entered():
                sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            address = "::"
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(64)
        sock.setblocking(False)
        self._keep(sock)
        self._selector.register(sock, selectors.EVENT_READ, on_accept)
        return sock.getsockname()[1]

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def banner(self, ns: Namespace, port: int) -> None:
        def answer(conn: socket.socket) -> None:
            with conn:
                with contextlib.suppress(OSError):
                    conn.sendall(f"{port}\n".encode())
        self._listen(ns, port, answer)

    def relay(self, ns: Namespace | None, upstream: tuple[str, int], source: str | None = None) -> int:
        """A listener in `ns` (on a port the kernel picks, returned) that forwards to `upstream`
        as seen from the harness's own namespace, from the local address `source` if given."""
        def forward(conn: socket.socket) -> None:
            try:
                server = socket.create_connection(upstream, timeout=5,
                                                  source_address=(source, 0) if source else None)
            except OSError:
                conn.close()
                return
            server.settimeout(None)
            self._keep(conn)
            self._keep(server)
            for a, b in ((conn, server), (server, conn)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()
        return self._listen(ns, 0, forward)

    def start(self) -> "Listeners":
        self._thread = threading.Thread(target=self._serve, name="spine-listeners", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.1):
                try:
                    conn, _ = key.fileobj.accept()
                except OSError:
                    continue
                conn.settimeout(5)
                key.data(conn)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
            self._sockets.clear()
        self._selector.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
