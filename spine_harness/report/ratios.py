"""The benchmark ratios and their goals, written once. Each ratio divides the mean time of one
case of a benchmark group by another case of the same group, measured in the same run."""
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

RATIOS: tuple[Ratio, ...] = (
    *(Ratio("RLS cost", f"rls:{q}", "policy", "service_role", 1.3, "at_most",
            "time under the row policy / the same query as service_role with an explicit filter")
      for q in RLS_QUERIES),
    *(Ratio("RLS cost (slow policy)", f"rls:{q}", "policy_per_row_uid", "service_role", None, "at_most",
            "the same with the policy written the slow way (auth.uid() per row), for comparison")
      for q in RLS_QUERIES[:3]),
    *(Ratio("Tuning", f"tuning:{w}", "tuned", "defaults", goal, "at_least",
            "speed-up of the stack's postgresql.conf over Postgres defaults on the same data, both in the db cgroup")
      for w, goal in TUNING_GOALS.items()),
    *(Ratio("Tuning attribution", f"tuning:{w}", f"{g} alone", "defaults", None, "at_least",
            f"speed-up of the stack's {g} line(s) alone on top of Postgres defaults")
      for g in TUNING_GROUPS for w in TUNING_GOALS),
    Ratio("Pooling", "pooling:connect", "pooled", "direct", None, "at_least",
          "speed-up of connecting through the pooler over connecting to Postgres directly"),
    Ratio("Pooling", "pooling:short_transaction", "pooled", "direct", None, "at_least",
          "speed-up of a short transaction on a fresh connection, pooled over direct"),
)
