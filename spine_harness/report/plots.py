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
