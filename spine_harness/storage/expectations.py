"""Who may do what in each bucket (sql/storage-expectations.yaml), as objects. The outcomes are
the RLS matrix's: allow (the operation touches the object), deny (SQLSTATE 42501), filter
(accepted, zero objects)."""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import yaml

from spine_harness.config.paths import SQL_DIR
from spine_harness.rls.expectations import ACTORS, ACTOR_ROLE, Outcome

STORAGE_EXPECTATIONS = SQL_DIR / "storage-expectations.yaml"
OPERATIONS = ("list", "download", "upload", "upsert", "move", "delete")
__all__ = ["ACTORS", "ACTOR_ROLE", "OPERATIONS", "Outcome", "Bucket", "StorageCell", "load", "parse"]


@dataclasses.dataclass(frozen=True)
class Bucket:
    id: str
    public: bool
    file_size_limit: int | None
    allowed_mime_types: tuple[str, ...] | None
    sample: str                                     # the file name (and so the type) of its test object
    rules: dict[str, dict[str, Outcome]]


@dataclasses.dataclass(frozen=True)
class StorageCell:
    bucket: str
    actor: str
    operation: str
    expected: Outcome

    @property
    def id(self) -> str:
        return f"{self.bucket}-{self.actor}-{self.operation}"


@dataclasses.dataclass(frozen=True)
class StorageExpectations:
    buckets: dict[str, Bucket]

    def cells(self) -> list[StorageCell]:
        return [StorageCell(b.id, a, op, b.rules[a][op]) for b in self.buckets.values()
                for a in ACTORS for op in OPERATIONS]


def parse(data: dict, source: str = "storage expectations") -> StorageExpectations:
    buckets = {}
    for bucket_id, spec in (data.get("buckets") or {}).items():
        spec = dict(spec)
        missing = [a for a in ACTORS if a not in spec]
        if missing:
            raise ValueError(f"{source}: bucket {bucket_id} has no row for {', '.join(missing)}")
        rules = {}
        for actor in ACTORS:
            ops = spec.pop(actor)
            if set(ops) != set(OPERATIONS):
                raise ValueError(f"{source}: {bucket_id}/{actor} must give exactly {', '.join(OPERATIONS)}")
            rules[actor] = {op: Outcome(ops[op]) for op in OPERATIONS}
        mimes = spec.get("allowed_mime_types")
        buckets[bucket_id] = Bucket(bucket_id, bool(spec.get("public", False)), spec.get("file_size_limit"),
                                    tuple(mimes) if mimes is not None else None, spec.get("sample", "sample.bin"),
                                    rules)
    return StorageExpectations(buckets)


@functools.cache
def load(path: Path = STORAGE_EXPECTATIONS) -> StorageExpectations:
    return parse(yaml.safe_load(Path(path).read_text()), str(path))
