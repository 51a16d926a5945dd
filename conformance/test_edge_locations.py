"""The edge, location by location: every `location` of the stack's nginx site is probed for HSTS,
its body limit, the client facts it states to Kong, and whether a path sent into it arrives
upstream as the same path; the HTTP redirect is probed with hostile Host headers and request
lines. The cases come from the site file of the stack under test, so a location is covered the
day it is added; what each location really does is read from nginx's own `nginx -T` of the
running edge (locally) and then observed on the wire, with hostile bytes written as they are.
"""
from __future__ import annotations

import urllib.parse
import uuid

import pytest

from spine_harness.deployment.definition import StackDefinition
from spine_harness.edge import locations as site, nginx_config, raw_http
from spine_harness.edge.endpoint import SITE, Edge, edge_under_test
from spine_harness.edge.upstream import MARKER_HEADER, STATUS_HEADER
from spine_harness.pytest_plugin import settings_of

pytestmark = pytest.mark.needs("edge")

HSTS_MIN_MAX_AGE = 365 * 86400
STORAGE_DEFAULT_FILE_SIZE_LIMIT = 50 * 1024 * 1024
HOSTILE_HOST = "evil.example"
CLIENT_CLAIM = "203.0.113.66"


def _site_locations(stack_dir) -> list[site.Location]:
    path = stack_dir / SITE
    return site.site_locations(nginx_config.parse_site(path.read_text(), str(path)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "location" in metafunc.fixturenames:
        found = _site_locations(settings_of(metafunc.config).stack_dir)
        metafunc.parametrize("location", [loc.id for loc in found])


@pytest.fixture(scope="module")
def edge(spine, stack_dir):
    with edge_under_test(spine, stack_dir) as found:
        yield found


@pytest.fixture(scope="module")
def in_force(edge, stack_dir) -> list[site.Location]:
    """The locations as the running nginx loaded them (locally), else as the stack writes them."""
    if edge.nginx is None:
        return _site_locations(stack_dir)
    return site.site_locations(nginx_config.parse(edge.nginx.running_config(), str(edge.nginx.main_config)))


@pytest.fixture(scope="module")
def largest_upload(stack_dir) -> int:
    """No location may take a body larger than the largest any service behind it accepts:
    Storage's FILE_SIZE_LIMIT."""
    storage = StackDefinition.load(stack_dir).compose.services.get("storage")
    value = storage.environment.get("FILE_SIZE_LIMIT") if storage else None
    return int(value) if value and value.isdigit() else STORAGE_DEFAULT_FILE_SIZE_LIMIT


def _location(location_id: str, in_force: list[site.Location]) -> tuple[site.Location, str]:
    loc = next((loc for loc in in_force if loc.id == location_id), None)
    if loc is None:
        pytest.fail(f"location {location_id} of the stack's site is not in the configuration nginx loaded")
    path = site.probe_path(loc, in_force)
    if path is None:
        pytest.fail(f"location {location_id}: the suite cannot derive a request path that reaches it "
                    "(a regex location, or one shadowed by another): give it a prefix the suite can probe")
    return loc, path


def _send(edge: Edge, request_line: str, headers: list[tuple[str, str]] = (), *, host: str | None = None,
          tls: bool = True) -> raw_http.RawResponse:
    headers = [("Host", host or edge.server_name), *headers]
    return raw_http.send(edge.address, edge.https_port if tls else edge.http_port, request_line, headers,
                         tls=edge.tls_context() if tls else None, server_name=edge.server_name)


def _watched(edge: Edge) -> Edge:
    if edge.upstream is None:
        pytest.skip("needs the harness's own upstream behind the edge to see what nginx forwards; "
                    "runs on the local target")
    return edge


def _hsts_problem(response: raw_http.RawResponse) -> str | None:
    value = response.header("strict-transport-security")
    if not value:
        return f"{response}: no Strict-Transport-Security"
    directives = dict(part.strip().partition("=")[::2] for part in value.split(";"))
    age = directives.get("max-age", "0").strip('"')
    if not age.isdigit() or int(age) < HSTS_MIN_MAX_AGE:
        return f"{response}: HSTS max-age too short ({value!r}, needs at least {HSTS_MIN_MAX_AGE})"
    return None


# --- per location ------------------------------------------------------------------------------

def test_location_sends_hsts(location, edge, in_force):
    """On the upstream's answer, on an upstream error, and on nginx's own 413 there."""
    loc, path = _location(location, in_force)
    responses = [_send(edge, f"GET {path} HTTP/1.1", [(MARKER_HEADER, uuid.uuid4().hex)])]
    if edge.upstream is not None:
        responses.append(_send(edge, f"GET {path} HTTP/1.1", [(STATUS_HEADER, "502")]))
    limit = site.size_bytes(loc.body_limit)
    if limit:
        responses.append(_send(edge, f"POST {path} HTTP/1.1", [("Content-Length", str(limit + 1))]))
    problems = [p for r in responses if (p := _hsts_problem(r))]
    assert not problems, f"location {location}:\n  " + "\n  ".join(problems)


def test_location_limits_the_body(location, edge, in_force, largest_upload):
    """The limit in force there is finite and no larger than any service accepts, and a body
    declared one byte over it is refused by nginx, before anything reaches Kong."""
    loc, path = _location(location, in_force)
    limit = site.size_bytes(loc.body_limit)
    assert 0 < limit <= largest_upload, (
        f"location {location}: client_max_body_size {loc.body_limit} in force "
        f"({'no limit' if not limit else f'{limit} bytes'}; the largest upload a service takes is {largest_upload})")
    marker = uuid.uuid4().hex
    response = _send(edge, f"POST {path} HTTP/1.1", [(MARKER_HEADER, marker), ("Content-Length", str(limit + 1)),
                                                    ("Content-Type", "application/octet-stream")])
    assert response.status == 413, f"location {location}: a body declared {limit + 1} bytes: {response}"
    if edge.upstream is not None:
        assert edge.upstream.received(marker) is None, f"location {location}: the oversize request reached Kong"


def _forwarding_requests(edge: Edge, path: str) -> dict[str, tuple[str, list[tuple[str, str]], str]]:
    spoofed = [("X-Forwarded-For", CLIENT_CLAIM), ("X-Real-IP", CLIENT_CLAIM), ("X-Forwarded-Proto", "http"),
               ("X-Forwarded-Host", HOSTILE_HOST), ("X-Forwarded-Port", "80")]
    return {
        "spoofed forwarding headers": (f"GET {path} HTTP/1.1", spoofed, edge.server_name),
        "a foreign Host": (f"GET {path} HTTP/1.1", [], HOSTILE_HOST),
        "a Host with a port": (f"GET {path} HTTP/1.1", [], f"{edge.server_name}:8443"),
        "an absolute-form request line": (f"GET https://{HOSTILE_HOST}{path} HTTP/1.1", spoofed, edge.server_name),
    }


def test_location_states_the_client_facts(location, edge, in_force):
    """What Kong and the services behind it are told about the client comes from the edge, never
    from the client: its address (GoTrue rate-limits by it), the scheme, and the site's own name
    (services build links from Host and X-Forwarded-Host). A request the edge refuses is fine."""
    edge = _watched(edge)
    _, path = _location(location, in_force)
    expected = {"host": edge.server_name, "x-forwarded-host": edge.server_name, "x-forwarded-proto": "https",
                "x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1"}
    wrong = {}
    for what, (line, headers, host) in _forwarding_requests(edge, path).items():
        marker = uuid.uuid4().hex
        response = _send(edge, line, [(MARKER_HEADER, marker), *headers], host=host)
        got = edge.upstream.received(marker)
        if got is None:
            if response.status is None or response.status < 400:
                wrong[what] = f"never reached Kong, yet answered {response}"
            continue
        bad = {name: got.headers.get(name) for name, value in expected.items() if got.headers.get(name) != value}
        if bad:
            wrong[what] = bad
    assert not wrong, f"location {location}: Kong was told (expected {expected}):\n  " + "\n  ".join(
        f"{what}: {seen}" for what, seen in wrong.items())


def test_location_path_arrives_where_it_was_sent(location, edge, in_force):
    """A request nginx judged by this location must reach Kong as the same path once normalised
    (decoded, slashes merged, dot segments removed, as Kong's nginx does): if not, the location's
    limits were applied to a request that lands somewhere else."""
    edge = _watched(edge)
    loc, _ = _location(location, in_force)
    escaped, arrived = {}, 0
    for what, target in site.path_variants(loc).items():
        marker = uuid.uuid4().hex
        _send(edge, f"GET {target} HTTP/1.1", [(MARKER_HEADER, marker)])
        got = edge.upstream.received(marker)
        if got is None:
            continue     # refused at the edge: it went nowhere
        arrived += 1
        sent, landed = site.normalised(target), site.normalised(got.uri)
        if sent != landed:
            escaped[what] = f"sent {target} (acts on {sent}), arrived as {got.uri} (acts on {landed})"
    assert arrived, f"location {location}: none of the path probes reached Kong"
    assert not escaped, f"location {location}: paths that changed on the way:\n  " + "\n  ".join(
        f"{what}: {how}" for what, how in escaped.items())


# --- the HTTP redirect -------------------------------------------------------------------------

REDIRECT_PROBES = {
    "foreign-host": ("GET /rest/v1/x HTTP/1.1", [], HOSTILE_HOST),
    "host-with-port": ("GET /rest/v1/x HTTP/1.1", [], "{site}:8443"),
    "foreign-host-with-port": ("GET /rest/v1/x HTTP/1.1", [], f"{HOSTILE_HOST}:443"),
    "host-with-userinfo": ("GET /rest/v1/x HTTP/1.1", [], f"{{site}}@{HOSTILE_HOST}"),
    "absolute-uri": (f"GET http://{HOSTILE_HOST}/rest/v1/x HTTP/1.1", [], "{site}"),
    "network-path": (f"GET //{HOSTILE_HOST}/rest/v1/x HTTP/1.1", [], "{site}"),
    "forwarded-host": ("GET /rest/v1/x HTTP/1.1", [("X-Forwarded-Host", HOSTILE_HOST)], "{site}"),
}


@pytest.mark.parametrize("probe", list(REDIRECT_PROBES))
def test_http_redirect_stays_on_the_site(probe, edge, in_force):
    """Plain HTTP answers with a redirect to https://<the site>, whatever Host or request line the
    client sent: a redirect built from the client's Host sends a victim's browser to the attacker."""
    line, headers, host = REDIRECT_PROBES[probe]
    response = _send(edge, line, headers, host=host.format(site=edge.server_name), tls=False)
    if response.status is None or 400 <= response.status < 500:
        return     # refused: sends nobody anywhere
    location = response.header("location") or ""
    url = urllib.parse.urlsplit(location)
    assert 300 <= response.status < 400 and url.scheme == "https" and url.hostname == edge.server_name \
        and url.port in (None, 443) and not url.username, (
            f"{probe}: {response}, Location {location!r} (expected https://{edge.server_name}/...)")
