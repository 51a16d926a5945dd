"""What the tuned postgresql.conf must keep, beyond fitting its memory limit: the values that
make the 8 GB container worth its size, and the ones other parts of the Spine depend on.
A setting that drifts back to a Postgres default (shared_buffers at 128MB) fits the budget
easily; these rules are what catch it."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

from spine_harness.deployment import pgconf


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    why: str
    problem: Callable[[dict[str, str], float], str | None]   # (settings, limit MiB) -> why unfit


def _share_of_limit(setting: str, low: float, high: float) -> Callable[[dict[str, str], float], str | None]:
    def check(settings: dict[str, str], limit_mib: float) -> str | None:
        share = pgconf.size_mib(settings, setting) / limit_mib
        if not low <= share <= high:
            return (f"{setting} = {settings[setting]} is {share:.1%} of the {limit_mib:.0f} MiB limit; "
                    f"keep it between {low:.0%} and {high:.0%}")
        return None
    return check


def _equals(setting: str, expected: str) -> Callable[[dict[str, str], float], str | None]:
    def check(settings: dict[str, str], _limit: float) -> str | None:
        value = settings.get(setting)
        return None if value == expected else f"{setting} = {value!r}; expected {expected!r}"
    return check


def _random_page_cost(settings: dict[str, str], _limit: float) -> str | None:
    value = float(settings.get("random_page_cost", "4"))
    return None if value <= 1.5 else f"random_page_cost = {value:g} is the spinning-disk default; SSD wants 1.1"


def _preloads(library: str) -> Callable[[dict[str, str], float], str | None]:
    def check(settings: dict[str, str], _limit: float) -> str | None:
        libs = [s.strip() for s in settings.get("shared_preload_libraries", "").split(",")]
        return None if library in libs else f"shared_preload_libraries does not load {library}"
    return check


RULES: tuple[Rule, ...] = (
    Rule("shared_buffers", "the page cache Postgres manages itself: a quarter of the limit",
         _share_of_limit("shared_buffers", 0.20, 0.40)),
    Rule("effective_cache_size", "tells the planner how much the OS caches; too low and it avoids indexes",
         _share_of_limit("effective_cache_size", 0.50, 0.80)),
    Rule("random_page_cost", "the box has SSDs", _random_page_cost),
    Rule("wal_level", "Realtime reads changes through logical replication", _equals("wal_level", "logical")),
    Rule("password_encryption", "no md5 password hashes", _equals("password_encryption", "scram-sha-256")),
    Rule("pg_stat_statements", "db-status and the benchmark reports read it", _preloads("pg_stat_statements")),
)
