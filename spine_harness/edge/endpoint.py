"""Where the edge suite finds the TLS edge: the local nginx the harness starts from the stack's
site file (with a stand-in for Kong it can watch), or a deployment's edge_url."""
from __future__ import annotations

import contextlib
import dataclasses
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from spine_harness.edge.certificate import self_signed
from spine_harness.edge.upstream import EchoUpstream
from spine_harness.servers.nginx import LocalNginx

SERVER_NAME = "supabase.gerege.mn"
SITE = Path("nginx") / "sites-available" / f"{SERVER_NAME}.conf"


@dataclasses.dataclass(frozen=True)
class Edge:
    server_name: str
    address: str                         # where to connect: 127.0.0.1 locally, the host name remotely
    https_port: int
    http_port: int
    trust_pem: str | None = None         # the certificate to trust; None: the system's store
    upstream: EchoUpstream | None = None  # the stand-in for Kong, where the harness placed one
    nginx: LocalNginx | None = None      # the server, where the harness started it

    @property
    def https_url(self) -> str:
        return f"https://{self.address}:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.address}:{self.http_port}"

    def tls_context(self) -> ssl.SSLContext:
        """A client context that checks the edge's certificate (the harness's own one locally)."""
        return ssl.create_default_context(cadata=self.trust_pem) if self.trust_pem else ssl.create_default_context()

    def client(self, **kwargs) -> httpx.Client:
        """HTTPS to the edge as a browser would send it: Host is the site's name, the certificate checked."""
        verify = self.tls_context() if self.trust_pem else True
        return httpx.Client(base_url=self.https_url, verify=verify, headers={"Host": self.server_name},
                            timeout=10, follow_redirects=False, **kwargs)

    @classmethod
    def remote(cls, edge_url: str) -> "Edge":
        url = urlsplit(edge_url)
        return cls(server_name=url.hostname, address=url.hostname, https_port=url.port or 443, http_port=80)


@contextlib.contextmanager
def local_edge(stack_dir: Path) -> Iterator[Edge]:
    """nginx with the stack's site on free loopback ports, a fresh certificate, and a stand-in for Kong."""
    certificate = self_signed(SERVER_NAME)
    with EchoUpstream() as upstream, \
            LocalNginx(stack_dir / SITE, upstream=(upstream.host, upstream.port), certificate=certificate) as nginx:
        yield Edge(SERVER_NAME, nginx.host, nginx.https_port, nginx.http_port,
                   trust_pem=certificate[0].decode(), upstream=upstream, nginx=nginx)


@contextlib.contextmanager
def edge_under_test(spine, stack_dir: Path) -> Iterator[Edge]:
    """The target's own edge where it names one, else the local nginx running the stack's site."""
    if spine.edge_url:
        yield Edge.remote(spine.edge_url)
        return
    with local_edge(stack_dir) as local:
        yield local
