"""The report's section for pooled capacity in clients: p95 and errors per client count on the
pooler's server connections (`python -m spine_harness pooled-clients` writes the JSON)."""
from __future__ import annotations

import html
import json
from pathlib import Path

from spine_harness.report import plots

from spine_harness.config.paths import REPO_ROOT

POOLED_CLIENTS = REPO_ROOT / "reports" / "pooled-clients.json"
HEADERS = ["clients", "held at once", "server connections", "req/s", "p50 ms", "p95 ms (step)",
           "p95 ms (all held)", "errors", "Locust cores"]


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def rows(result: dict) -> list[list[str]]:
    return [[_cell(s[k]) for k in ("clients", "clients_held", "server_connections_max", "rps", "p50_ms", "p95_ms",
                                   "held_p95_ms", "errors", "locust_cpu_cores")] for s in result["steps"]]


def summary(result: dict) -> str:
    plan = result["plan"]
    verdict = "PASS" if result["passed"] else "FAIL: " + "; ".join(result["failures"])
    return (f"{verdict}. Pool of {result['pooler']['default_pool_size']} server connections, client limit "
            f"{result['pooler']['max_client_conn']} for the run; think time {plan['think_seconds']:g} s, "
            f"{plan['step_seconds']:g} s per step, {plan['processes']} Locust process(es) on {result['machine_cpus']} "
            f"CPUs, SLO p95 {plan['slo_p95_ms']:g} ms (judged while every client is held: the step's p95 also "
            f"counts the new clients' arrival, each a SCRAM login at the pooler); load average {result['load_average'][0]} -> "
            f"{result['load_average'][1]}. Command: {result['command']}")


def markdown(path: Path = POOLED_CLIENTS) -> list[str]:
    if not (result := _read(path)):
        return []
    return ["", "## Pooled capacity in clients", "", summary(result), "",
            "| " + " | ".join(HEADERS) + " |", "|" + "---:|" * len(HEADERS),
            *("| " + " | ".join(r) + " |" for r in rows(result))]


def _plot(result: dict) -> str:
    img = plots.pooled_clients(result["steps"], result["plan"]["slo_p95_ms"])
    return f"<div class='plots'><img alt='p95 against held clients' src='{img}'></div>" if img else ""


def html_section(path: Path = POOLED_CLIENTS) -> str:
    if not (result := _read(path)):
        return ""
    return (f"<h2>Pooled capacity in clients</h2><p class='{'PASS' if result['passed'] else 'FAIL'}'>"
            f"{html.escape(summary(result))}</p><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
            + "</tr>" + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                                for r in rows(result)) + "</table>" + _plot(result))
