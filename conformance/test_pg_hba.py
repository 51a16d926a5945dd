"""Client authentication of the stack's Postgres (the local target runs stack/volumes/db/pg_hba.conf):
no login without a password, SCRAM and nothing weaker, and only from the networks the file
names: loopback and the compose network; every other source rejected outright."""
from __future__ import annotations

import ipaddress

import psycopg
import pytest

from spine_harness.database.connections import connect
from spine_harness.network.listeners import Listeners

pytestmark = pytest.mark.needs("database")

ALLOWED_METHODS = {"scram-sha-256", "reject"}
# Sources that must meet a `reject` line before anything else: the internet and private LANs.
OUTSIDE_SOURCES = ["203.0.113.7", "2001:db8::7", "10.1.2.3", "192.168.1.5"]
UNLISTED_LOOPBACK_SOURCE = "127.0.0.2"   # local, but not 127.0.0.1: a live stand-in for "elsewhere"


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
    network = ipaddress.ip_address(address)
    prefix = bin(int(ipaddress.ip_address(rule["netmask"]))).count("1") if rule["netmask"] else network.max_prefixlen
    return network.version == source.version and source in ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def test_rules_as_loaded(hba_rules):
    """The server's own parse of the file: no broken line, no method weaker than SCRAM."""
    problems = [f"line {r['line_number']}: {r['error']}" for r in hba_rules if r["error"]]
    problems += [f"line {r['line_number']}: {r['type']} {r['address'] or ''} uses {r['auth_method']}"
                 for r in hba_rules if not r["error"] and r["auth_method"] not in ALLOWED_METHODS]
    assert not problems, "pg_hba.conf as the server loaded it:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("source", OUTSIDE_SOURCES)
def test_outside_networks_rejected(hba_rules, source):
    address = ipaddress.ip_address(source)
    first = next((r for r in hba_rules if not r["error"] and _matches(r, address)), None)
    assert first is not None and first["auth_method"] == "reject", (
        f"a connection from {source} meets " + (f"line {first['line_number']} ({first['type']} {first['address']} "
                                              f"{first['auth_method']})" if first else "no line at all")
        + ", not a reject line")


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
