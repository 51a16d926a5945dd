"""Which ports the stack makes reachable from outside the box, by definition: what Compose
publishes on every interface, and what the host's nginx listens on. The architecture's ports
table says what may be; the firewall (another layer) narrows the allowlisted ones further."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from spine_harness.deployment.architecture import PORTS, Port
from spine_harness.deployment.compose import LOOPBACK_ADDRESSES, ComposeFile
from spine_harness.deployment.textfiles import text_files

NGINX_DIR = "nginx"
_LISTEN = re.compile(r"(?:^|(?<=[;{]))\s*listen\s+([^;\s]+)[^;]*;", re.M)


@dataclasses.dataclass(frozen=True)
class Opening:
    port: int
    where: str            # "compose service kong (0.0.0.0:8000->8000/tcp)", "nginx sites/x.conf"
    loopback_only: bool


def table_entry(port: int) -> Port | None:
    return next((p for p in PORTS if p.number == port), None)


def compose_openings(compose: ComposeFile) -> list[Opening]:
    return [Opening(p.published, f"compose service {svc.name} ({p.describe()})", p.on_loopback_only)
            for svc in compose.services.values() for p in svc.ports if p.published is not None]


def nginx_openings(stack_dir: Path) -> list[Opening]:
    """`listen` directives of the nginx site files under stack/nginx/, where it exists."""
    root = Path(stack_dir) / NGINX_DIR
    openings = []
    for path, text in text_files(root):
        for address in _LISTEN.findall(text):
            host, _, port = address.rpartition(":")
            if not port.isdigit():
                continue
            host = host.strip("[]")
            openings.append(Opening(int(port), f"nginx {path.relative_to(root)} (listen {address})",
                                    host in LOOPBACK_ADDRESSES))
    return openings


def port_problem(opening: Opening) -> str | None:
    """Why this opening contradicts the ports table, or None."""
    entry = table_entry(opening.port)
    if entry is None:
        return f"{opening.where}: port {opening.port} is not in the architecture's ports table"
    if entry.exposure == "internal":
        return f"{opening.where}: {entry.service} is internal and must not be published"
    if entry.exposure == "loopback" and not opening.loopback_only:
        return f"{opening.where}: {entry.service} must be bound to 127.0.0.1 only"
    return None


def reachable_from_outside(openings: list[Opening]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for o in openings:
        if not o.loopback_only:
            found.setdefault(o.port, []).append(o.where)
    return found
