"""The TLS edge: the stack's nginx site (locally: Debian's nginx running that very file on free
loopback ports, with a fresh certificate and a stand-in for Kong the suite watches; remotely:
the deployment's edge_url) speaks only modern TLS, sends HSTS on every response, redirects
HTTP to HTTPS, forwards every API path intact, carries Realtime's websockets and keeps them
open when idle, hides its version and refuses oversize bodies."""
from __future__ import annotations

import socket
import time
import uuid

import httpx
import pytest
from websockets.sync.client import connect as websocket_connect

from spine_harness.edge import nginx_config, tls
from spine_harness.edge.endpoint import Edge, local_edge
from spine_harness.edge.upstream import MARKER_HEADER, STATUS_HEADER

pytestmark = pytest.mark.needs("edge")

HSTS_MIN_MAX_AGE = 365 * 86400          # a year: the HSTS preload list's floor
API_BODY_LIMIT = 10 * 1024 * 1024       # the site's client_max_body_size outside Storage
REALTIME_IDLE_MIN = 300                 # seconds a quiet Realtime socket must survive (nginx default: 60)


@pytest.fixture(scope="module")
def edge(spine, stack_dir):
    if spine.edge_url:
        yield Edge.remote(spine.edge_url)
        return
    with local_edge(stack_dir) as local:
        yield local


@pytest.fixture(scope="module")
def client(edge):
    with edge.client() as c:
        yield c


def watched(edge: Edge) -> Edge:
    """The edge with the harness's stand-in for Kong behind it, or a skip saying where that runs."""
    if edge.upstream is None:
        pytest.skip("needs the harness's own upstream behind the edge to see what nginx forwards; "
                    "runs on the local target")
    return edge


def _oversize(client: httpx.Client) -> httpx.Response:
    return client.post("/rest/v1/oversize", content=b"x" * (API_BODY_LIMIT + 1024),
                       headers={MARKER_HEADER: "oversize", "content-type": "application/octet-stream"})


# --- TLS ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("version, accepted", [("TLSv1", False), ("TLSv1.1", False),
                                               ("TLSv1.2", True), ("TLSv1.3", True)])
def test_tls_protocol(edge, version, accepted):
    result = tls.handshake(edge.address, edge.https_port, edge.server_name, version)
    if accepted:
        assert result.ok and result.protocol == version, f"a client offering only {version} was refused: {result.error}"
    else:
        assert not result.ok, f"a client offering only {version} got a session ({result.protocol}, {result.cipher})"


def test_no_weak_ciphers(edge):
    accepted = {}
    for suite in tls.tls12_suites():
        result = tls.handshake(edge.address, edge.https_port, edge.server_name, "TLSv1.2",
                               ciphers=f"{suite['name']}:@SECLEVEL=0")
        if result.ok:
            accepted[suite["name"]] = tls.weakness(suite)
    assert accepted, "no TLS 1.2 cipher suite was accepted at all"
    weak = {name: why for name, why in accepted.items() if why}
    assert not weak, "TLS 1.2 suites the edge accepts that are weak:\n  " + "\n  ".join(
        f"{name}: {why}" for name, why in sorted(weak.items()))


# --- HTTP behaviour ----------------------------------------------------------------------------

HSTS_RESPONSES = {
    "upstream-ok": lambda c: c.get("/rest/v1/hsts", headers={MARKER_HEADER: "hsts-ok"}),
    "upstream-error": lambda c: c.get("/rest/v1/hsts", headers={STATUS_HEADER: "503"}),
    "nginx-error-413": _oversize,
}


@pytest.mark.parametrize("kind", HSTS_RESPONSES)
def test_hsts_on_every_response(client, kind):
    response = HSTS_RESPONSES[kind](client)
    hsts = response.headers.get("strict-transport-security")
    assert hsts, f"{response.request.method} {response.request.url.path} -> {response.status_code} without Strict-Transport-Security"
    directives = dict(part.strip().partition("=")[::2] for part in hsts.split(";"))
    assert int(directives.get("max-age", 0)) >= HSTS_MIN_MAX_AGE, f"HSTS max-age too short: {hsts!r}"


def test_http_redirects_to_https(edge):
    target = "/rest/v1/users?select=id,name&order=id.desc"
    response = httpx.get(edge.http_url + target, headers={"Host": edge.server_name}, follow_redirects=False)
    location = response.headers.get("location")
    assert response.status_code in (301, 308) and location == f"https://{edge.server_name}{target}", (
        f"GET http://{edge.server_name}{target} -> {response.status_code}, Location {location!r}")


API_PATHS = [
    "/auth/v1/token?grant_type=password",
    "/rest/v1/users?select=id,name&id=eq.7",
    "/graphql/v1",
    "/realtime/v1/api/broadcast",
    "/storage/v1/object/avatars/a%20b.png?download=1",
    "/pg/tables?included_schemas=public",
    "/project/default?tab=sql",
]


@pytest.mark.parametrize("path", API_PATHS)
def test_api_path_reaches_upstream(edge, client, path):
    upstream = watched(edge).upstream
    marker = uuid.uuid4().hex
    body = b'{"probe": "edge"}'
    response = client.request("PATCH", path, content=body, headers={
        MARKER_HEADER: marker, "content-type": "application/json", "x-forwarded-for": "203.0.113.66"})
    got = upstream.received(marker)
    assert got is not None, f"PATCH {path} never reached the upstream; the edge answered {response.status_code}"
    expected = {"method": "PATCH", "uri": path, "body": body, "host": edge.server_name,
                "x-forwarded-proto": "https", "x-forwarded-host": edge.server_name, "x-forwarded-for": "127.0.0.1"}
    seen = {"method": got.method, "uri": got.uri, "body": got.body,
            **{name: got.headers.get(name) for name in expected if name.startswith(("host", "x-"))}}
    wrong = {k: (v, seen[k]) for k, v in expected.items() if seen[k] != v}
    assert not wrong, f"PATCH {path} arrived changed (expected, got): {wrong}"


def test_version_not_advertised(client):
    for response in (client.get("/rest/v1/version"), _oversize(client)):
        server = response.headers.get("server", "")
        assert server in ("", "nginx") and "nginx/" not in response.text, (
            f"{response.status_code} response advertises the version: Server {server!r}, body {response.text[:200]!r}")


def test_oversize_body_refused(edge, client):
    response = _oversize(client)
    assert response.status_code == 413, (
        f"a {API_BODY_LIMIT + 1024} byte body to /rest/v1/ was answered {response.status_code}, not 413")
    if edge.upstream is not None:
        assert edge.upstream.received("oversize") is None, "the oversize body was passed on to the upstream"


# --- Realtime websockets -----------------------------------------------------------------------

def _realtime_socket(edge: Edge):
    sock = socket.create_connection((edge.address, edge.https_port), timeout=5)
    ctx = tls.client_context("TLSv1.3")
    return websocket_connect(f"wss://{edge.server_name}/realtime/v1/websocket?vsn=1.0.0", sock=sock, ssl=ctx,
                             server_hostname=edge.server_name, open_timeout=5, ping_interval=None)


def test_websocket_upgrade_on_realtime(edge):
    watched(edge)
    with _realtime_socket(edge) as ws:
        ws.send("phx_join")
        assert ws.recv(timeout=5) == "phx_join"


def test_realtime_idle_socket_not_cut(edge):
    """Read from nginx's running configuration (a minute-long wait is no test), then a short probe
    that a quiet socket stays usable."""
    nginx = watched(edge).nginx
    tree = nginx_config.parse(nginx.running_config(), str(nginx.main_config))
    value = nginx_config.value_in_location(tree, "proxy_read_timeout", "/realtime/v1/")
    effective = value[0] if value else "60s (nginx's default)"
    assert value and nginx_config.seconds(value[0]) >= REALTIME_IDLE_MIN, (
        f"proxy_read_timeout in effect for /realtime/v1/ is {effective}: an idle websocket is cut after that "
        f"(needs at least {REALTIME_IDLE_MIN}s)")
    with _realtime_socket(edge) as ws:
        time.sleep(1)
        ws.send("after-idle")
        assert ws.recv(timeout=5) == "after-idle"
