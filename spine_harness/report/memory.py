"""The report's memory sections: the executed memory proof (the static proof's lines beside the
measured cgroup peak; `python -m spine_harness memory-proof` writes it) and the cgroup figures
of the last capacity run (`python -m spine_harness capacity` writes them beside its report)."""
from __future__ import annotations

import html
import json
from pathlib import Path

from spine_harness.report import plots

from spine_harness.config.paths import REPO_ROOT

PROOF = REPO_ROOT / "reports" / "memory-proof.json"
CAPACITY_CGROUPS = REPO_ROOT / "reports" / "capacity" / "cgroups.json"


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def proof_rows(proof: dict) -> list[list[str]]:
    rows = [[line["item"], line["formula"], f"{line['mib']:.0f}"] for line in proof["proof_lines"]]
    rows += [["proof total", "", f"{proof['proof_total_mib']:.0f}"],
             [f"allowed (+{proof['margin']:.0%})", "", f"{proof['allowed_mib']:.0f}"],
             ["measured resident peak", "rss + shmem of the cgroup, sampled", f"{proof['resident_peak_mib']:.0f}"],
             ["measured usage peak", "page cache included", f"{proof['usage_peak_mib']:.0f}"],
             ["cgroup limit", "db container limit", f"{proof['limit_mib']:.0f}"]]
    return rows


def _verdict(proof: dict) -> str:
    return ("PASS" if proof["passed"] else "FAIL: " + "; ".join(proof["failures"])) + (
        f" ({proof['arrived_at_barrier']} sessions held at once; OOM kills {proof['oom_kills']})")


def markdown(proof_path: Path = PROOF, cgroups_path: Path = CAPACITY_CGROUPS) -> list[str]:
    lines: list[str] = []
    if (proof := _read(proof_path)):
        lines += ["", "## Memory proof, executed", "", _verdict(proof), "", "| item | worst case | MiB |", "|---|---|---:|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in proof_rows(proof)]
    if (groups := _read(cgroups_path)):
        lines += ["", "## Capacity run under the memory limits (cgroups)", "",
                  "| service | limit MiB | peak MiB | resident MiB | failcnt | OOM kills |", "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {s} | {g['limit_mib']:.0f} | {g['peak_mib']:.0f} | {g['resident_mib']:.0f} | {g['failcnt']} | "
                  f"{g['oom_kills']} |" for s, g in groups.items()]
    return lines


def html_section(proof_path: Path = PROOF, cgroups_path: Path = CAPACITY_CGROUPS) -> str:
    parts = []
    if (proof := _read(proof_path)):
        parts.append(f"<h2>Memory proof, executed</h2><p class='{'PASS' if proof['passed'] else 'FAIL'}'>"
                     f"{html.escape(_verdict(proof))}</p><table><tr><th>item</th><th>worst case</th><th>MiB</th></tr>"
                     + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                               for row in proof_rows(proof)) + "</table>")
        if (img := plots.memory_proof(proof)):
            parts.append(f"<div class='plots'><img alt='memory proof against the measured peak' src='{img}'></div>")
    if (groups := _read(cgroups_path)):
        parts.append("<h2>Capacity run under the memory limits (cgroups)</h2><table><tr><th>service</th>"
                     "<th>limit MiB</th><th>peak MiB</th><th>resident MiB</th><th>failcnt</th><th>OOM kills</th></tr>"
                     + "".join(f"<tr><td>{html.escape(s)}</td><td>{g['limit_mib']:.0f}</td><td>{g['peak_mib']:.0f}</td>"
                               f"<td>{g['resident_mib']:.0f}</td><td>{g['failcnt']}</td><td>{g['oom_kills']}</td></tr>"
                               for s, g in groups.items()) + "</table>")
    return "".join(parts)
