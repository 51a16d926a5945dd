"""Each Storage API operation as the SQL the Storage service runs for it, as one actor, in one
rolled-back PostgREST-style request (role and JWT claims set transaction-locally):

  list      SELECT of the objects under the owner's folder
  download  SELECT of the object (Storage reads its row before it serves the file)
  upload    INSERT of a new object (no RETURNING: an upload needs INSERT alone)
  upsert    INSERT ... ON CONFLICT DO UPDATE onto the existing object (INSERT, SELECT, UPDATE)
  move      UPDATE of the object's name (UPDATE, and SELECT for the row it returns)
  delete    DELETE of the object
"""
from __future__ import annotations

import json
import secrets
import uuid

import psycopg

from spine_harness.database.impersonation import claims_for
from spine_harness.rls.matrix import Observed, observe
from spine_harness.rls.seed import SeedRows
from spine_harness.storage.expectations import ACTOR_ROLE, StorageCell
from spine_harness.storage.objects import SeedObjects, object_name

_META = json.dumps({"size": 1, "mimetype": "text/plain"})


def statement(operation: str, bucket: str, name: str, folder_user: uuid.UUID, run_id: str,
              actor_id: uuid.UUID | None) -> tuple[str, tuple]:
    """`name` is the existing object; new names go under `folder_user`'s folder."""
    fresh = object_name(folder_user, run_id, f"{secrets.token_hex(4)}.new")
    owner = str(actor_id) if actor_id else None
    if operation == "list":
        return ("select name from storage.objects where bucket_id = %s and name like %s",
                (bucket, name.split("/", 1)[0] + "/%"))
    if operation == "download":
        return "select id from storage.objects where bucket_id = %s and name = %s", (bucket, name)
    if operation == "upload":
        return ("insert into storage.objects (bucket_id, name, owner, owner_id, metadata)"
                " values (%s, %s, %s, %s, %s)", (bucket, fresh, owner, owner, _META))
    if operation == "upsert":
        return ("insert into storage.objects (bucket_id, name, owner, owner_id, metadata)"
                " values (%s, %s, %s, %s, %s) on conflict (bucket_id, name) do update"
                " set metadata = excluded.metadata, owner = excluded.owner, owner_id = excluded.owner_id,"
                " updated_at = now() returning id", (bucket, name, owner, owner, _META))
    if operation == "move":
        return ("update storage.objects set name = %s, last_accessed_at = now()"
                " where bucket_id = %s and name = %s returning id", (fresh, bucket, name))
    if operation == "delete":
        return "delete from storage.objects where bucket_id = %s and name = %s returning id", (bucket, name)
    raise ValueError(f"unknown storage operation {operation!r}")


def actor_id(actor: str, seed: SeedRows) -> uuid.UUID | None:
    return seed.users.get(actor) if actor in ("owner", "other") else None


def run(conn: psycopg.Connection, actor: str, query: str, params: tuple, seed: SeedRows) -> Observed:
    """Always rolled back: the matrix leaves no object behind."""
    return observe(conn, claims_for(ACTOR_ROLE[actor], actor_id(actor, seed)), query, params, what="object")


def run_cell(conn: psycopg.Connection, seed: SeedRows, objects: SeedObjects, cell: StorageCell) -> Observed:
    query, params = statement(cell.operation, cell.bucket, objects.name(cell.bucket), seed.users["owner"],
                              seed.run_id, actor_id(cell.actor, seed))
    return run(conn, cell.actor, query, params, seed)


def cross_user(conn: psycopg.Connection, seed: SeedRows, objects: SeedObjects, bucket: str,
               operation: str) -> Observed:
    """The owner writing into the other user's folder: an upload there, or a move of their own
    object there."""
    owner, other = seed.users["owner"], seed.users["other"]
    target = object_name(other, seed.run_id, f"{secrets.token_hex(4)}.new")
    if operation == "upload":
        query, params = statement("upload", bucket, objects.name(bucket), other, seed.run_id, owner)
    elif operation == "move":
        query = ("update storage.objects set name = %s where bucket_id = %s and name = %s returning id")
        params = (target, bucket, objects.name(bucket))
    else:
        raise ValueError(f"no cross-user case for {operation!r}")
    return run(conn, "owner", query, params, seed)
