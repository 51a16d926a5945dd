"""Who may receive and send on which private topic (sql/realtime-expectations.yaml)."""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import yaml

from spine_harness.config.paths import SQL_DIR
from spine_harness.rls.expectations import ACTORS

REALTIME_EXPECTATIONS = SQL_DIR / "realtime-expectations.yaml"
ACTIONS = ("receive", "send")
EXTENSIONS = ("broadcast", "presence")


@dataclasses.dataclass(frozen=True)
class TopicCell:
    topic: str          # a pattern: {owner} stands for the owner's user id
    actor: str
    action: str
    extension: str
    allowed: bool

    @property
    def id(self) -> str:
        return f"{self.topic.replace('{owner}', 'owner')}-{self.actor}-{self.action}-{self.extension}"


def parse(data: dict, source: str = "realtime expectations") -> list[TopicCell]:
    cells = []
    for topic, rules in (data.get("topics") or {}).items():
        for actor in ACTORS:
            if actor not in rules:
                raise ValueError(f"{source}: topic {topic} has no row for {actor}")
            for action in ACTIONS:
                for ext in EXTENSIONS:
                    value = (rules[actor].get(action) or {}).get(ext)
                    if value not in ("allow", "deny"):
                        raise ValueError(f"{source}: {topic}/{actor}/{action}/{ext} must be allow or deny")
                    cells.append(TopicCell(topic, actor, action, ext, value == "allow"))
    return cells


@functools.cache
def load(path: Path = REALTIME_EXPECTATIONS) -> tuple[TopicCell, ...]:
    return tuple(parse(yaml.safe_load(Path(path).read_text()), str(path)))
