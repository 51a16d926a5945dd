"""The capacity report: one self-contained HTML page with plots, plus JSON and CSV files a CI
can keep and a later report can read. Built from the recorded windows, the server samples and
the architecture's memory limits; nothing here talks to a server."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html
import json
from pathlib import Path

from spine_harness.report.plots import png_data_uri  # chooses the Agg backend before pyplot loads
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from spine_harness.deployment.architecture import SERVICES  # noqa: E402
from spine_harness.capacity.sampling import ServerSample  # noqa: E402
from spine_harness.capacity.stats import TOTAL, SloVerdict, Stage, Window, slo_verdict, stages  # noqa: E402

FILES = ("capacity.html", "capacity.json", "windows.csv", "stages.csv", "server.csv")


@dataclasses.dataclass
class CapacityRun:
    target: str
    slo_p95_ms: float
    windows: list[Window]
    server: list[ServerSample]
    notes: list[str]
    description: str = ""        # the load shape, in words

    @property
    def stages(self) -> list[Stage]:
        return stages(self.windows)

    def names(self) -> list[str]:
        found = sorted({n for w in self.windows for n, f in w.by_name.items() if n != TOTAL and f.requests})
        return [TOTAL, *found]

    def verdicts(self) -> list[SloVerdict]:
        return [slo_verdict(self.stages, name, self.slo_p95_ms) for name in self.names()]

    def memory(self) -> dict[str, dict]:
        peaks: dict[str, float] = {}
        for s in self.server:
            for service, mib in s.memory_mib.items():
                peaks[service] = max(peaks.get(service, 0.0), mib)
        return {service: {"peak_mib": mib, "limit_mib": SERVICES[service].limit_mib,
                          "share_of_limit": round(mib / SERVICES[service].limit_mib, 4)}
                for service, mib in sorted(peaks.items()) if service in SERVICES}

    def as_dict(self) -> dict:
        return {
            "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "target": self.target, "description": self.description, "slo_p95_ms": self.slo_p95_ms,
            "verdicts": [dataclasses.asdict(v) | {"sentence": v.sentence()} for v in self.verdicts()],
            "stages": [{"users": s.users, "start_s": s.start, "end_s": s.end,
                        "by_name": {n: f.as_dict() for n, f in s.by_name.items()}} for s in self.stages],
            "windows": [{"end_s": w.end, "users": w.users, "by_name": {n: f.as_dict() for n, f in w.by_name.items()}}
                        for w in self.windows],
            "server": {"samples": [dataclasses.asdict(s) for s in self.server], "memory": self.memory()},
            "notes": self.notes,
        }


# --- files --------------------------------------------------------------------------------------

def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write(run: CapacityRun, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = run.as_dict()
    (directory / "capacity.json").write_text(json.dumps(data, indent=1))
    figure_cols = ["requests", "failures", "rps", "p50_ms", "p95_ms", "p99_ms"]
    _write_csv(directory / "windows.csv", ["end_s", "users", "name", *figure_cols],
               ([w["end_s"], w["users"], n, *f.values()] for w in data["windows"] for n, f in w["by_name"].items()))
    _write_csv(directory / "stages.csv", ["users", "start_s", "end_s", "name", *figure_cols],
               ([s["users"], s["start_s"], s["end_s"], n, *f.values()]
                for s in data["stages"] for n, f in s["by_name"].items()))
    pool_keys = sorted({k for s in run.server for k in s.pool})
    state_keys = sorted({k for s in run.server for k in s.connections})
    mem_keys = sorted({k for s in run.server for k in s.memory_mib})
    _write_csv(directory / "server.csv",
               ["at_s", *(f"pool_{k}" for k in pool_keys), *(f"pg_{k}" for k in state_keys),
                *(f"memory_mib_{k}" for k in mem_keys)],
               ([s.at, *(s.pool.get(k, "") for k in pool_keys), *(s.connections.get(k, 0) for k in state_keys),
                 *(s.memory_mib.get(k, "") for k in mem_keys)] for s in run.server))
    (directory / "capacity.html").write_text(render_html(run, data))
    return [directory / name for name in FILES]


# --- plots --------------------------------------------------------------------------------------

def _throughput_plot(run: CapacityRun) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.6))
    t = [w.end for w in run.windows]
    for name in run.names():
        ax.plot(t, [w.by_name[name].rps if name in w.by_name else 0 for w in run.windows],
                label=name, linewidth=2.2 if name == TOTAL else 1.2)
    ax.set(xlabel="seconds into the run", ylabel="requests / s", title="Throughput per request type")
    users = ax.twinx()
    users.step(t, [w.users for w in run.windows], where="pre", color="grey", linestyle=":", label="users")
    users.set_ylabel("users (dotted)")
    ax.legend(fontsize=7, loc="upper left")
    return png_data_uri(fig)


def _latency_plot(run: CapacityRun) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.6))
    t = [w.end for w in run.windows]
    for fraction, style in ((0.50, ":"), (0.95, "-"), (0.99, "--")):
        ax.plot(t, [w.by_name[TOTAL].p(fraction) if TOTAL in w.by_name else None for w in run.windows],
                style, color="black", label=f"{TOTAL} p{int(fraction * 100)}")
    for name in run.names()[1:]:
        ax.plot(t, [w.by_name[name].p(0.95) if name in w.by_name else None for w in run.windows],
                linewidth=1, label=f"{name} p95")
    ax.axhline(run.slo_p95_ms, color="red", linewidth=1, label=f"SLO p95 {run.slo_p95_ms:g} ms")
    ax.set(xlabel="seconds into the run", ylabel="ms", title="Latency per window (p50 / p95 / p99)")
    ax.legend(fontsize=7, loc="upper left")
    return png_data_uri(fig)


def _stage_plot(run: CapacityRun) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.6))
    loaded = [s for s in run.stages if s.users > 0]
    for name in run.names():
        ax.plot([s.users for s in loaded], [s.by_name[name].p(0.95) if name in s.by_name else None for s in loaded],
                marker="o", label=name, linewidth=2.2 if name == TOTAL else 1)
    ax.axhline(run.slo_p95_ms, color="red", linewidth=1, label="SLO")
    ax.set(xlabel="users (ramp stage)", ylabel="p95 ms", title="p95 per ramp stage: where the SLO is crossed")
    ax.legend(fontsize=7, loc="upper left")
    return png_data_uri(fig)


def _server_plot(run: CapacityRun) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.6))
    t = [s.at for s in run.server]
    for key, label in (("cl_active", "pool: clients active"), ("cl_waiting", "pool: clients waiting"),
                       ("sv_active", "pool: server conns active")):
        ax.plot(t, [s.pool.get(key) for s in run.server], label=label)
    ax.plot(t, [s.connections.get("active", 0) for s in run.server], label="Postgres: active backends")
    ax.plot(t, [s.connections.get("idle in transaction", 0) for s in run.server],
            label="Postgres: idle in transaction (waiting on a client's next statement)")
    ax.plot(t, [sum(s.connections.values()) for s in run.server], label="Postgres: all client backends")
    ax.set(xlabel="seconds into the run", ylabel="connections", title="Pooler and Postgres during the run")
    ax.legend(fontsize=7, loc="upper left")
    return png_data_uri(fig)


def _memory_plot(memory: dict[str, dict]) -> str:
    fig, ax = plt.subplots(figsize=(9, 2.6))
    names = list(memory)
    ax.barh(names, [m["limit_mib"] for m in memory.values()], color="#ddd", label="limit")
    ax.barh(names, [m["peak_mib"] for m in memory.values()], color="#4a7", label="peak during run")
    ax.set(xlabel="MiB", title="Memory per service against its limit (architecture.SERVICES)")
    ax.legend(fontsize=7)
    return png_data_uri(fig)


# --- the page ------------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list]) -> str:
    def cell(v):
        return "" if v is None else html.escape(f"{v:,.1f}" if isinstance(v, float) else str(v))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(run: CapacityRun, data: dict) -> str:
    esc = html.escape
    parts = [f"<h1>Spine capacity run on '{esc(run.target)}'</h1>",
             f"<p>{esc(data['generated_at'])} · {esc(run.description)} · SLO: p95 ≤ {run.slo_p95_ms:g} ms</p>",
             "<h2>Where the SLO is crossed</h2><ul>",
             *(f"<li>{esc(v['sentence'])}</li>" for v in data["verdicts"]), "</ul>"]
    if run.windows:
        parts += [f'<img alt="throughput" src="{_throughput_plot(run)}">',
                  f'<img alt="latency" src="{_latency_plot(run)}">',
                  f'<img alt="p95 per stage" src="{_stage_plot(run)}">']
    parts.append("<h2>Per ramp stage</h2>")
    parts.append(_table(["users", "request", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms"],
                        [[s["users"], n, f["requests"], f["failures"], f["rps"], f["p50_ms"], f["p95_ms"], f["p99_ms"]]
                         for s in data["stages"] for n, f in s["by_name"].items() if f["requests"]]))
    parts.append("<h2>Server side</h2>")
    if run.server:
        parts.append(f'<img alt="server" src="{_server_plot(run)}">')
    memory = data["server"]["memory"]
    if memory:
        parts.append(f'<img alt="memory" src="{_memory_plot(memory)}">')
        parts.append(_table(["service", "peak MiB", "limit MiB", "share of limit"],
                            [[s, m["peak_mib"], m["limit_mib"], f"{m['share_of_limit']:.1%}"] for s, m in memory.items()]))
        parts.append("<p>On the local target PgBouncer stands in for Supavisor and is set against its limit.</p>")
    if run.notes:
        parts += ["<h2>Not measured</h2><ul>", *(f"<li>{esc(n)}</li>" for n in run.notes), "</ul>"]
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}img{display:block;margin:1em 0}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Spine capacity</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
