"""Rendering the nightly report: HTML for people, Markdown for CI logs. Both are built from the
same `Report`, so they cannot disagree. Conformance comes from results records, one section per
target with its provenance (time, commit, complete or not); a missing, incomplete or failed area
is a failure, and targets are never added together."""
from __future__ import annotations

import dataclasses
import html
from pathlib import Path

from spine_harness.deployment.architecture import SERVICES
from spine_harness.report import inputs, plots
from spine_harness.report import memory as memory_sections
from spine_harness.report import pooled as pooled_section
from spine_harness.report.inputs import BenchRun
from spine_harness.report.ratios import RATIOS, Ratio
from spine_harness.runs import records
from spine_harness.runs.records import RunRecord


@dataclasses.dataclass(frozen=True)
class RatioRow:
    ratio: Ratio
    value: float | None
    met: bool | None

    @property
    def verdict(self) -> str:
        word = {True: "meets goal", False: "MISSES GOAL",
                None: "not judged" if self.value is not None else "not measured"}[self.met]
        return f"{word} (advisory)" if self.ratio.advisory and self.met is False else word

    @property
    def goal_text(self) -> str:
        return self.ratio.goal_text


@dataclasses.dataclass(frozen=True)
class Report:
    title: str
    latest: BenchRun | None
    history: list[BenchRun]
    runs: dict[str, RunRecord]          # the latest conformance run of each target
    capacity: dict | None
    expected_areas: tuple[str, ...] = ()
    history_runs: tuple[RunRecord, ...] = ()

    def ratio_rows(self) -> list[RatioRow]:
        rows = []
        for r in RATIOS:
            value = r.value(self.latest.means.get(r.group, {}), self.latest.paired.get(r.group)) if self.latest else None
            rows.append(RatioRow(r, value, r.met(value)))
        return rows

    def memory_rows(self) -> list[tuple[str, float | None, float]]:
        """(service, peak MiB seen in the capacity run or None, limit MiB from the architecture)."""
        seen = ((self.capacity or {}).get("server") or {}).get("memory") or {}
        return [(name, (seen.get(name) or {}).get("peak_mib"), svc.limit_mib) for name, svc in SERVICES.items()]

    @property
    def capacity_sentences(self) -> list[str]:
        """The capacity run's own verdicts: where p95 crossed the SLO, per request type."""
        return [v["sentence"] for v in (self.capacity or {}).get("verdicts", [])]

    @property
    def failing_areas(self) -> list[str]:
        """`target: area (verdict)` for every area that keeps a target's latest run from passing."""
        return [f"{title}: {area}" for title, run in self.runs.items() for area in run.failing(list(self.expected_areas))]

    @property
    def headline(self) -> str:
        if not self.runs:
            return "NO CONFORMANCE RESULTS: nothing to judge"
        incomplete = [t for t, r in self.runs.items() if not r.complete]
        parts = []
        if incomplete:
            parts.append("INCOMPLETE run on " + ", ".join(incomplete))
        if self.failing_areas:
            parts.append("FAIL: " + ", ".join(self.failing_areas))
        if parts:
            return "; ".join(parts)
        return "PASS: every area passed on " + ", ".join(
            f"{t} ({r.started}, commit {r.commit})" for t, r in self.runs.items())

    @property
    def missed_goals(self) -> list[str]:
        return [f"{row.ratio.group}" for row in self.ratio_rows() if row.met is False and not row.ratio.advisory]

    def previous_complete(self, title: str) -> RunRecord | None:
        return records.latest_complete(list(self.history_runs), title)


def assemble(title: str, bench_json: Path | None, bench_storage: Path, runs: list[RunRecord],
             capacity: Path | None) -> Report:
    """A report from what the jobs leave behind; a missing input is shown as missing."""
    return Report(
        title=title,
        latest=inputs.read_bench_run(bench_json) if bench_json and bench_json.exists() else None,
        history=inputs.saved_bench_runs(bench_storage),
        runs=records.latest_per_target(runs),
        capacity=inputs.read_capacity(capacity) if capacity else None,
        expected_areas=tuple(records.all_areas()),
        history_runs=tuple(runs),
    )


def area_rows(report: Report, run: RunRecord) -> list[tuple[str, str, str, str, str, str]]:
    """(area, passed, failed, skipped, verdict, why) for every area, the missing ones included."""
    by_area = {a.area: a for a in run.areas}
    rows = []
    for area, verdict in run.verdicts(list(report.expected_areas)).items():
        a = by_area.get(area)
        if a is None:
            rows.append((area, "-", "-", "-", verdict, "not collected in this run"))
            continue
        why = "; ".join(a.failures[:3] or a.skip_reasons[:2])
        if verdict == records.INCOMPLETE:
            why = f"{a.ran} of {a.collected} checks ran"
        rows.append((area, str(a.passed), str(a.failed), str(a.skipped), verdict, why))
    return rows


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def markdown(report: Report) -> str:
    lines = [f"# {report.title}", "", f"**{report.headline}**", "", "## Conformance"]
    if not report.runs:
        lines += ["", "(no results: no conformance run has left a results record)"]
    for title, run in report.runs.items():
        lines += ["", f"### {title}", "", f"{run.provenance}", ""]
        if not run.complete and (before := report.previous_complete(title)):
            lines += [f"(the last complete run of this target was {before.started}, commit {before.commit})", ""]
        lines += ["| area | passed | failed | skipped | verdict |", "|---|---:|---:|---:|---|"]
        lines += [f"| {a} | {p} | {f} | {s} | {v} |" for a, p, f, s, v, _ in area_rows(report, run)]
    bench = f"{report.latest.datetime} on {report.latest.machine}" if report.latest else "no benchmark run"
    lines += ["", f"## Ratios against their goals ({bench})", "", "| group | ratio | value | goal | verdict |",
              "|---|---|---:|---|---|"]
    lines += [f"| {r.ratio.group} | {r.ratio.label} | {_fmt(r.value)} | {r.goal_text} | {r.verdict} |"
              for r in report.ratio_rows()]
    lines += ["", "## Memory headroom per service", "", "| service | peak seen MiB | limit MiB | headroom |", "|---|---:|---:|---:|"]
    for name, peak, limit in report.memory_rows():
        head = "-" if peak is None else f"{100 * (1 - peak / limit):.0f}%"
        lines.append(f"| {name} | {'-' if peak is None else f'{peak:.0f}'} | {limit} | {head} |")
    if report.capacity:
        lines += ["", f"## Last capacity run ({report.capacity.get('generated_at', '?')}, "
                      f"SLO p95 {report.capacity.get('slo_p95_ms', '?')} ms)", ""]
        lines += [f"- {s}" for s in report.capacity_sentences]
    lines += memory_sections.markdown() + pooled_section.markdown()
    return "\n".join(lines) + "\n"


_CSS = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#1d2733}
h1{background:#1f4e79;color:#fff;padding:.6rem 1rem;border-radius:4px}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #c8d3de;padding:.25rem .6rem;text-align:left}
th{background:#eef3f8}.PASS,.meets{background:#dff3e3}.FAIL,.MISSES,.MISSING,.INCOMPLETE{background:#f8d7da}
.SKIP{background:#fff3cd}
.plots img{margin:.3rem;border:1px solid #dde}"""


def _table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        f"<tr class='{(classes or [''] * len(rows))[i]}'>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for i, row in enumerate(rows))
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(report: Report) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(report.title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(report.title)}</h1>"]
    parts.append(f"<p><b>{html.escape(report.headline)}</b>. Latest benchmark run: "
                 f"{html.escape(report.latest.datetime if report.latest else 'none')} "
                 f"on {html.escape(report.latest.machine if report.latest else '-')}; "
                 f"{len(report.history)} saved run(s).</p>")
    parts.append("<h2>Conformance</h2>")
    if not report.runs:
        parts.append("<p>No results: no conformance run has left a results record.</p>")
    for title, run in report.runs.items():
        rows = area_rows(report, run)
        note = ""
        if not run.complete and (before := report.previous_complete(title)):
            note = f" The last complete run of this target was {before.started}, commit {before.commit}."
        parts.append(f"<h3>{html.escape(title)}</h3><p>{html.escape(run.provenance + '.' + note)}</p>" + _table(
            ["area", "passed", "failed", "skipped", "verdict", "why"], [list(r) for r in rows],
            [r[4] for r in rows]))
    rows = report.ratio_rows()
    parts.append("<h2>Ratios against their goals</h2>" + _table(
        ["area", "group", "ratio", "value", "goal", "verdict", "meaning"],
        [[r.ratio.area, r.ratio.group, r.ratio.label, _fmt(r.value), r.goal_text,
          r.verdict, r.ratio.meaning] for r in rows],
        [r.verdict.split()[0] for r in rows]))
    mem = report.memory_rows()
    parts.append("<h2>Memory headroom per service</h2>" + _table(
        ["service", "peak seen MiB", "limit MiB", "headroom"],
        [[n, "-" if p is None else f"{p:.0f}", str(lim), "-" if p is None else f"{100 * (1 - p / lim):.0f}%"]
         for n, p, lim in mem]))
    if (img := plots.memory_headroom(mem)):
        parts.append(f"<div class='plots'><img alt='memory headroom' src='{img}'></div>")
    parts.append("<h2>Last capacity run</h2>")
    if report.capacity:
        parts.append(f"<p>{html.escape(str(report.capacity.get('generated_at', '?')))}, target "
                     f"{html.escape(str(report.capacity.get('target', '?')))}, SLO p95 "
                     f"{report.capacity.get('slo_p95_ms', '?')} ms (full report: capacity.html beside its JSON).</p><ul>"
                     + "".join(f"<li>{html.escape(s)}</li>" for s in report.capacity_sentences) + "</ul>")
    else:
        parts.append("<p>No capacity run found (make load writes one).</p>")
    groups = sorted({g for r in report.history for g in r.means})
    trend_imgs = [img for g in groups if (img := plots.trend(report.history, g))]
    parts.append("<h2>Trends over saved runs</h2>")
    parts.append("<div class='plots'>" + "".join(f"<img alt='trend' src='{i}'>" for i in trend_imgs) + "</div>"
                 if trend_imgs else "<p>No saved benchmark runs yet (make bench saves one).</p>")
    parts.append(memory_sections.html_section() + pooled_section.html_section())
    parts.append("</body></html>")
    return "".join(parts)


def write(report: Report, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    page, summary = out_dir / "report.html", out_dir / "summary.md"
    page.write_text(html_page(report))
    summary.write_text(markdown(report))
    return page, summary
