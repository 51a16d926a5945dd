"""Preflight: before any suite judges a target, each capability it declares is probed once (a
login with a short timeout, an HTTP answer, a TLS handshake). A target that cannot be reached is
"cannot connect", one line naming the endpoint and the cause, never a pile of failed checks.
"""
from __future__ import annotations

import dataclasses
import socket
import ssl
from urllib.parse import urlsplit

import httpx
import psycopg

from spine_harness.targets.model import Capability, Target, masked_dsn

PROBE_TIMEOUT_S = 5
# The exit code of a run stopped by preflight: neither 0 (passed) nor 1 (checks failed).
TARGET_UNREACHABLE = 6

# Where each endpoint came from, for the one line (remote targets name their variables).
REMOTE_VARIABLES = {"direct_dsn": "SPINE_DB_URL", "pooler_dsn": "SPINE_POOLER_URL", "api_dsn": "SPINE_API_DB_URL",
                    "gateway_url": "SPINE_GATEWAY_URL", "edge_url": "SPINE_EDGE_URL"}


@dataclasses.dataclass(frozen=True)
class Unreachable:
    endpoint: str      # e.g. "SPINE_DB_URL (postgres@127.0.0.1:1/postgres)"
    cause: str

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.cause}"


def _cause(exc: BaseException) -> str:
    """The last meaningful line of an error, which names host and port but holds no password."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    failed = [line for line in lines if "failed:" in line]
    text = (failed or lines or [type(exc).__name__])[-1]
    return text.removeprefix("connection failed: ")[:200]


def _where(target: Target, field: str, shown: str) -> str:
    name = REMOTE_VARIABLES.get(field) if target.name == "remote" else field.replace("_", " ")
    return f"{name} ({shown})"


def _probe_dsn(target: Target, field: str) -> Unreachable | None:
    dsn = getattr(target, field)
    try:
        with psycopg.connect(dsn, connect_timeout=PROBE_TIMEOUT_S, prepare_threshold=None, autocommit=True) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        return Unreachable(_where(target, field, masked_dsn(dsn)), _cause(exc))
    return None


def _probe_http(target: Target, field: str) -> Unreachable | None:
    url = getattr(target, field)
    try:
        httpx.get(url, timeout=PROBE_TIMEOUT_S, verify=False, follow_redirects=False)
    except httpx.HTTPError as exc:
        return Unreachable(_where(target, field, url), f"{type(exc).__name__}: {_cause(exc)}")
    return None


def _probe_tls(target: Target, field: str) -> Unreachable | None:
    url = getattr(target, field)
    parts = urlsplit(url)
    if parts.scheme != "https":
        return _probe_http(target, field)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE   # reachability only
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=PROBE_TIMEOUT_S) as sock:
            with context.wrap_socket(sock, server_hostname=parts.hostname):
                pass
    except (OSError, ssl.SSLError) as exc:
        return Unreachable(_where(target, field, f"{parts.hostname}:{parts.port or 443}"),
                           f"TLS handshake failed: {_cause(exc)}")
    return None


PROBES = {
    Capability.DATABASE: (("direct_dsn", _probe_dsn),),
    Capability.POOLER: (("pooler_dsn", _probe_dsn), ("api_dsn", _probe_dsn)),
    Capability.GATEWAY: (("gateway_url", _probe_http),),
    Capability.EDGE: (("edge_url", _probe_tls),),
}


def preflight(target: Target) -> list[Unreachable]:
    """Probe every endpoint the target declares; the list of those that cannot be used."""
    problems = []
    for cap, probes in PROBES.items():
        if cap not in target.capabilities:
            continue
        for field, probe in probes:
            if getattr(target, field) and (problem := probe(target, field)):
                problems.append(problem)
    return problems


def unreachable_line(target: Target, problems: list[Unreachable]) -> str:
    return f"target '{target.title}' unreachable: " + "; ".join(map(str, problems))
