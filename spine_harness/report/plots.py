"""Trend plots as inline PNGs, so the report is one self-contained file."""
from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from spine_harness.report.inputs import BenchRun  # noqa: E402


def png_data_uri(fig) -> str:
    """A finished figure as an inline PNG, so a report is one self-contained file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def trend(runs: list[BenchRun], group: str) -> str | None:
    """Mean time per case of one benchmark group over the saved runs (milliseconds)."""
    cases = sorted({p for r in runs for p in r.means.get(group, {})})
    if not cases:
        return None
    fig, ax = plt.subplots(figsize=(6, 2.6))
    for case in cases:
        xs = [i for i, r in enumerate(runs) if case in r.means.get(group, {})]
        ys = [runs[i].means[group][case] * 1000 for i in xs]
        ax.plot(xs, ys, marker="o", label=case)
    ax.set_title(group)
    ax.set_xlabel("run (oldest to newest)")
    ax.set_ylabel("mean ms")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return png_data_uri(fig)


def memory_headroom(rows: list[tuple[str, float | None, float]]) -> str | None:
    """Bars: peak memory seen vs the compose limit, per service."""
    measured = [(name, peak, limit) for name, peak, limit in rows if peak is not None]
    if not measured:
        return None
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(measured) + 1))
    names = [r[0] for r in measured]
    ax.barh(names, [r[2] for r in measured], color="#dfe7ef", label="limit")
    ax.barh(names, [r[1] for r in measured], color="#2f6f9f", label="peak seen")
    ax.set_xlabel("MiB")
    ax.legend(fontsize=7)
    return png_data_uri(fig)


def memory_proof(proof: dict) -> str | None:
    """One stacked bar of the static proof's line items beside the measured peaks, against the
    cgroup's limit: where the worst case goes, and how close the measurement came."""
    lines = proof.get("proof_lines") or []
    if not lines:
        return None
    fig, ax = plt.subplots(figsize=(6, 2.2))
    left = 0.0
    for line in lines:
        ax.barh("static proof", line["mib"], left=left, label=line["item"])
        left += line["mib"]
    ax.barh("measured resident peak", proof["resident_peak_mib"], color="#2f6f9f")
    ax.barh("measured usage peak", proof["usage_peak_mib"], color="#9fb7cc")
    ax.axvline(proof["limit_mib"], color="#b03030", linestyle="--", label=f"limit {proof['limit_mib']:.0f} MiB")
    ax.set_xlabel("MiB")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1))
    return png_data_uri(fig)


def pooled_clients(steps: list[dict], slo_p95_ms: float) -> str | None:
    """p95 (step and held) and errors against the number of held client connections."""
    points = [s for s in steps if s.get("p95_ms") is not None]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(6, 2.6))
    xs = [s["clients"] for s in points]
    ax.plot(xs, [s["p95_ms"] for s in points], marker="o", label="p95 of the step")
    ax.plot(xs, [s.get("held_p95_ms") or 0 for s in points], marker="s", label="p95 while every client is held")
    ax.axhline(slo_p95_ms, color="#b03030", linestyle="--", label=f"SLO {slo_p95_ms:g} ms")
    for s in points:
        if s.get("errors"):
            ax.annotate(f"{s['errors']} errors", (s["clients"], s["p95_ms"]), fontsize=7, color="#b03030")
    ax.set_xlabel("client connections")
    ax.set_ylabel("ms")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return png_data_uri(fig)
