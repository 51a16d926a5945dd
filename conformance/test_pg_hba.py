"""Client authentication of the stack's Postgres (the local target runs stack/volumes/db/pg_hba.conf):
no login without a password, SCRAM and nothing weaker, and only from the host's own loopback
clients and the compose network; a source of every other class of the address space (private,
shared, link-local, documentation and public, both families: spine_harness.network.address_classes)
is rejected outright, by the rules as the server parsed them and by a real login arriving from an
address of that class (a replica running the target's own pg_hba.conf in a network namespace)."""
from __future__ import annotations

import ipaddress

import psycopg
import pytest

from spine_harness.database.connections import connect
from spine_harness.deployment.definition import StackDefinition
from spine_harness.network import address_classes as classes
from spine_harness.network.hba_replica import HbaReplica
from spine_harness.network.listeners import Listeners
from spine_harness.pytest_plugin import settings_of

pytestmark = pytest.mark.needs("database")

ALLOWED_METHODS = {"scram-sha-256", "reject"}
UNLISTED_LOOPBACK_SOURCE = "127.0.0.2"   # local, but not 127.0.0.1: a live stand-in for "elsewhere"
EDGES = "edges-of-the-admitted-networks"
_KEYWORDS = {"all", "sameuser", "samerole", "samegroup", "replication"}


def _permitted(stack_dir) -> tuple:
    networks = StackDefinition.load(stack_dir).compose.resolved.get("networks")
    return classes.permitted(classes.compose_networks(networks))


def _refused_classes(stack_dir) -> dict[str, ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Each class with an address the Spine may not admit, and that address."""
    allowed = _permitted(stack_dir)
    return {c.name: address for c in classes.CLASSES if (address := classes.representative(c, allowed))}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    found = None
    for name in ("address_class", "source_class"):
        if name in metafunc.fixturenames:
            found = found or list(_refused_classes(settings_of(metafunc.config).stack_dir))
            metafunc.parametrize(name, found + [EDGES] if name == "source_class" else found)


@pytest.fixture(scope="module")
def permitted(stack_dir) -> tuple:
    return _permitted(stack_dir)


@pytest.fixture(scope="module")
def refused_sources(stack_dir, permitted, hba_rules) -> dict[str, list]:
    """Per class, the address it is probed from; and the addresses just outside every network
    the Spine may admit and every network a rule admits, where those may not be admitted."""
    by_class = {name: [address] for name, address in _refused_classes(stack_dir).items()}
    networks = list(permitted) + [n for r in hba_rules if not r["error"] and r["auth_method"] != "reject"
                                  and (n := classes.hba_network(r["address"], r["netmask"]))]
    edges = {a for n in networks for a in classes.just_outside(n)
             if classes.usable_source(a) and not any(a.version == p.version and a in p for p in permitted)}
    by_class[EDGES] = sorted(edges, key=lambda a: (a.version, int(a)))
    return by_class


def _login_error(dsn: str) -> str | None:
    try:
        with connect(dsn, autocommit=True) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        return str(exc).strip()
    return None


@pytest.fixture(scope="module")
def hba_rules(admin_conn) -> list[dict]:
    cur = admin_conn.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute("select line_number, type, database, user_name, address, netmask, auth_method, error "
                       "from pg_hba_file_rules order by line_number").fetchall()


@pytest.mark.parametrize("login", ["direct_dsn", "api_dsn"])
def test_password_required(spine, login):
    """`require_auth=none`: libpq gives up as soon as the server asks for any authentication, so a
    connection here is a login the server let in without one."""
    dsn = getattr(spine, login)
    if dsn is None:
        pytest.skip(f"target '{spine.name}' has no {login}")
    error = _login_error(spine.dsn_for(dsn, require_auth="none", password=""))
    assert error is not None, f"{login}: the server logged in a client that sent no password"


def test_only_scram_offered(spine):
    weaker = _login_error(spine.dsn_for(spine.direct_dsn, require_auth="password,md5"))
    assert weaker is not None, "a client accepting only cleartext/md5 authentication logged in with the right password"
    scram = _login_error(spine.dsn_for(spine.direct_dsn, require_auth="scram-sha-256"))
    assert scram is None, f"a SCRAM-only client was refused: {scram}"


def _matches(rule: dict, source: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not rule["type"].startswith("host"):
        return False
    address = rule["address"]
    if address in ("all", "samehost", "samenet") or address is None:
        return address != "samehost"   # samenet/all: may be any network, so assume it matches
    network = classes.hba_network(address, rule["netmask"])
    if network is None:
        return True                    # a host name: may be anyone, so assume it matches
    return network.version == source.version and source in network


def test_rules_as_loaded(hba_rules):
    """The server's own parse of the file: no broken line, no method weaker than SCRAM."""
    problems = [f"line {r['line_number']}: {r['error']}" for r in hba_rules if r["error"]]
    problems += [f"line {r['line_number']}: {r['type']} {r['address'] or ''} uses {r['auth_method']}"
                 for r in hba_rules if not r["error"] and r["auth_method"] not in ALLOWED_METHODS]
    assert not problems, "pg_hba.conf as the server loaded it:\n  " + "\n  ".join(problems)


def test_no_rule_admits_beyond_the_host_and_the_compose_network(hba_rules, permitted):
    """Every line that lets a client try a password names a network inside what the Spine may
    admit (its loopback clients, the compose network)."""
    wide = []
    for r in hba_rules:
        if r["error"] or not r["type"].startswith("host") or r["auth_method"] == "reject":
            continue
        network = classes.hba_network(r["address"], r["netmask"])
        if network is None or not any(network.version == p.version and network.subnet_of(p) for p in permitted):
            wide.append(f"line {r['line_number']}: {r['type']} {r['address'] or ''}"
                        f"{'/' + r['netmask'] if r['netmask'] else ''} {r['auth_method']}")
    assert not wide, (f"lines admitting sources beyond {', '.join(map(str, permitted))}:\n  " + "\n  ".join(wide))


def test_outside_networks_rejected(hba_rules, address_class, refused_sources):
    """The server's own parse of the rules: the first line a source of this class meets rejects."""
    (address,) = refused_sources[address_class]
    first = next((r for r in hba_rules if not r["error"] and _matches(r, address)), None)
    assert first is not None and first["auth_method"] == "reject", (
        f"a connection from {address} ({address_class}) meets "
        + (f"line {first['line_number']} ({first['type']} {first['address']} {first['auth_method']})"
           if first else "no line at all") + ", not a reject line")


@pytest.fixture(scope="module")
def replica(admin_conn, hba_rules, refused_sources):
    """The target's pg_hba.conf, as its server reads it, run by a Postgres of the harness's own
    in a namespace holding every probed source address."""
    try:
        text = admin_conn.execute("select pg_read_file(current_setting('hba_file'))").fetchone()[0]
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("the target's login may not read its pg_hba.conf (pg_read_server_files): "
                    "the rules are judged as parsed, not by live logins")
    names = [n for r in hba_rules if not r["error"] for n in (r["user_name"] or []) if n not in _KEYWORDS]
    databases = [n for r in hba_rules if not r["error"] for n in (r["database"] or []) if n not in _KEYWORDS]
    sources = [a for found in refused_sources.values() for a in found]
    with HbaReplica(text, sources, users=[n for n in names if not n.startswith("+")],
                    groups=[n[1:] for n in names if n.startswith("+")],
                    databases=[d for d in databases if not d.startswith("@")]) as running:
        yield running


@pytest.mark.needs("firewall host")
def test_every_class_refused_live(source_class, refused_sources, replica):
    """A real login, with the right password, arriving from an address of the class: refused by
    pg_hba.conf, for every user and database the file singles out, with TLS and without."""
    sources = refused_sources[source_class]
    if not sources:
        pytest.skip(f"{source_class}: no address outside what the Spine may admit")
    admitted = {str(a): ways for a in sources if (ways := replica.admitted(a))}
    assert not admitted, f"{source_class}: logins that got in from " + "; ".join(
        f"{a}: {', '.join(ways)}" for a, ways in admitted.items())
    for address in sources:
        error = replica.login_error(address)
        assert "pg_hba.conf" in (error or ""), f"{source_class}: from {address}, refused for another reason: {error}"


def test_unlisted_source_rejected_live(spine):
    """A real connection arriving from 127.0.0.2 (a relay binds that source address): Postgres
    itself must turn it away, before any password is asked."""
    params = psycopg.conninfo.conninfo_to_dict(spine.direct_dsn)
    if params.get("host") != "127.0.0.1":
        pytest.skip("needs the database on this machine's loopback to send a connection from 127.0.0.2; "
                    "runs on the local target")
    listeners = Listeners()
    port = listeners.relay(None, (params["host"], int(params["port"])), source=UNLISTED_LOOPBACK_SOURCE)
    listeners.start()
    try:
        error = _login_error(spine.dsn_for(spine.direct_dsn, port=port))
    finally:
        listeners.stop()
    assert error is not None and "pg_hba.conf" in error, (
        f"a login from {UNLISTED_LOOPBACK_SOURCE} with the right password was "
        + ("accepted" if error is None else f"refused for another reason: {error}"))
