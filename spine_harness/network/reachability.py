"""Who reaches which port: probing the testbed, what the ports table says should happen, and the
matrix as a table a person can paste into a note."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import socket

from spine_harness.deployment.architecture import PORTS
from spine_harness.network.testbed import PROBED_PORTS, FirewallTestbed, Station

OPEN, REFUSED, FILTERED = "open", "refused", "filtered"
SOURCES = ("allowed client", "other client", "host itself")   # the testbed's probing stations
SERVICES = {p.number: p.service for p in PORTS}
EXPOSURE = {p.number: p.exposure for p in PORTS}


@dataclasses.dataclass(frozen=True)
class Cell:
    source: str       # Station.label
    version: int      # 4 or 6
    port: int

    @property
    def id(self) -> str:
        return f"{self.source.split()[0]}-ipv{self.version}-{self.port}"


def should_reach(source: str, port: int) -> bool:
    """The ports table as reachability: the host reaches its own listeners; from outside, public
    ports are open, allowlist ports only to the allowed client, everything else closed."""
    exposure = EXPOSURE.get(port, "unlisted")
    if source == "host itself":
        return True
    if exposure == "public":
        return True
    return exposure == "allowlist" and source == "allowed client"


def probe(station: Station, address: str, port: int, timeout: float) -> str:
    """One TCP connection attempt from inside `station`'s namespace."""
    family = socket.AF_INET if ":" not in address else socket.AF_INET6
    with station.ns.entered():
        sock = socket.socket(family, socket.SOCK_STREAM)
    with sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
        except ConnectionRefusedError:
            return REFUSED
        except (TimeoutError, OSError):
            return FILTERED
        return OPEN


def all_cells() -> list[Cell]:
    return [Cell(source, version, port) for source in SOURCES for version in (4, 6) for port in PROBED_PORTS]


def probe_matrix(bed: FirewallTestbed, timeout: float = 0.5) -> dict[Cell, str]:
    """Every source, family and port at once: a dropped SYN costs `timeout`, paid once in parallel."""
    cells = all_cells()
    by_label = {s.label: s for s in bed.probe_sources}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(cells)) as pool:
        futures = {cell: pool.submit(probe, by_label[cell.source], bed.host.address(cell.version), cell.port, timeout)
                   for cell in cells}
        return {cell: f.result() for cell, f in futures.items()}


def render(observed: dict[Cell, str]) -> str:
    """A markdown table: one row per port, one column per source and family; a cell that differs
    from the ports table is marked with `!`."""
    columns = sorted({(c.source, c.version) for c in observed}, key=lambda sv: (SOURCES.index(sv[0]), sv[1]))
    ports = sorted({c.port for c in observed}, key=lambda p: (EXPOSURE.get(p, "zz"), p))
    head = "| port | service | exposure | " + " | ".join(f"{s} IPv{v}" for s, v in columns) + " |"
    rows = [head, "|" + "---|" * (3 + len(columns))]
    for port in ports:
        cells = []
        for source, version in columns:
            outcome = observed[Cell(source, version, port)]
            wrong = (outcome == OPEN) != should_reach(source, port)
            cells.append(outcome + (" !" if wrong else ""))
        rows.append(f"| {port} | {SERVICES.get(port, 'any other port')} | {EXPOSURE.get(port, 'unlisted')} | "
                    + " | ".join(cells) + " |")
    return "\n".join(rows)
