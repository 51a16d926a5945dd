"""The harness's own objects: one per bucket in the owner's folder, rows in storage.objects as
the Storage service writes them (no file bytes: authorization is decided on the row). Named
after the RLS seed's run id, so removal touches nothing else."""
from __future__ import annotations

import dataclasses
import json
import uuid

import psycopg

from spine_harness.rls.seed import SeedRows
from spine_harness.storage.expectations import StorageExpectations


@dataclasses.dataclass(frozen=True)
class SeedObjects:
    names: dict[str, str]          # bucket id -> the owner's object name in it
    prefix: str                    # every name the harness makes starts "<user id>/spine-harness-<run>"

    def name(self, bucket: str) -> str:
        return self.names[bucket]


def object_name(user: uuid.UUID, run_id: str, suffix: str) -> str:
    return f"{user}/spine-harness-{run_id}-{suffix}"


def create(conn: psycopg.Connection, seed: SeedRows, expectations: StorageExpectations) -> SeedObjects:
    owner = seed.users["owner"]
    names = {}
    with conn.transaction():
        for bucket in expectations.buckets.values():
            name = object_name(owner, seed.run_id, bucket.sample)
            conn.execute("insert into storage.objects (bucket_id, name, owner, owner_id, metadata)"
                         " values (%s, %s, %s, %s, %s)",
                         (bucket.id, name, owner, str(owner), json.dumps({"size": 1, "mimetype": "text/plain"})))
            names[bucket.id] = name
    return SeedObjects(names, f"spine-harness-{seed.run_id}-")


def remove(conn: psycopg.Connection, seed: SeedRows) -> None:
    users = [str(u) for u in seed.users.values()]
    conn.execute("delete from storage.objects where (storage.foldername(name))[1] = any(%s)"
                 " and storage.filename(name) like %s", (users, f"%spine-harness-{seed.run_id}-%"))
