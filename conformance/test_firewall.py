"""The host firewall, proven on real kernels: the stack's firewall-setup.sh applied on a server
host (a network namespace) with Docker's NAT in front of a container, then every port of the
ports table probed from a client in ALLOWED_DB_IPS, a client not in it, and the host itself,
over IPv4 and IPv6. The matrix is printed at the end of the run."""
from __future__ import annotations

import psycopg
import pytest

from spine_harness.database.connections import connect
from spine_harness.network import reachability
from spine_harness.network.testbed import ALLOWED_DB_IPS, FirewallTestbed

pytestmark = pytest.mark.needs("firewall host", "database", "pooler")


def _server(dsn: str) -> tuple[str, int]:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return params["host"], int(params["port"])


@pytest.fixture(scope="module")
def testbed(spine, stack_dir):
    script = stack_dir / "scripts" / "firewall-setup.sh"
    with FirewallTestbed({5432: _server(spine.direct_dsn), 6543: _server(spine.pooler_dsn)}) as bed:
        run = bed.run_script(script, ALLOWED_DB_IPS)
        if run.returncode != 0:
            pytest.fail(f"ALLOWED_DB_IPS={ALLOWED_DB_IPS} {script} exited {run.returncode}:\n"
                        f"{run.stdout}{run.stderr}", pytrace=False)
        yield bed


class MatrixReport:
    """Prints the reachability matrix after the run, ready to paste into a note."""

    def __init__(self, table: str):
        self.table = table

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.section("firewall reachability matrix (`!` = differs from the ports table)")
        terminalreporter.write_line(self.table)


@pytest.fixture(scope="module")
def matrix(testbed, pytestconfig):
    observed = reachability.probe_matrix(testbed)
    plugins = pytestconfig.pluginmanager
    if plugins.has_plugin("spine-firewall-matrix"):
        plugins.unregister(name="spine-firewall-matrix")
    plugins.register(MatrixReport(reachability.render(observed)), "spine-firewall-matrix")
    return observed


@pytest.mark.parametrize("cell", reachability.all_cells(), ids=lambda c: c.id)
def test_reachability(cell, matrix):
    expected = reachability.should_reach(cell.source, cell.port)
    got = matrix[cell]
    exposure = reachability.EXPOSURE.get(cell.port, "unlisted")
    assert (got == reachability.OPEN) == expected, (
        f"{cell.source} -> server host port {cell.port} ({exposure}) over IPv{cell.version}: the ports table "
        f"says {'reachable' if expected else 'closed'}, the TCP probe found it {got}")


@pytest.mark.parametrize("version", [4, 6], ids=["ipv4", "ipv6"])
@pytest.mark.parametrize("port, login", [(5432, "direct_dsn"), (6543, "pooler_dsn")], ids=["5432", "6543"])
def test_allowed_client_logs_in_through_nat(testbed, spine, port, login, version):
    """A real SCRAM login from the allowed client, through DNAT and DOCKER-USER, to the server
    behind the published port: the allowlist opens the way, not only the TCP handshake."""
    address = testbed.host.address(version)
    dsn = spine.dsn_for(getattr(spine, login), host=address, port=port, connect_timeout=3)
    try:
        with testbed.allowed.ns.entered():
            conn = connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(f"allowed client {testbed.allowed.address(version)} -> {address}:{port}: login failed: "
                    f"{str(exc).strip()}", pytrace=False)
    with conn:
        assert conn.execute("select 1").fetchone() == (1,)
