"""Storage authorization, cell by cell: every bucket x actor x operation against the one written
expectation (sql/storage-expectations.yaml), each run as the SQL the Storage service runs for
it, as the caller; cross-user paths refused; no public bucket listable; the buckets' settings
as written."""
from __future__ import annotations

import pytest

from spine_harness.storage import expectations as storage_expectations
from spine_harness.storage import objects as storage_objects
from spine_harness.storage.operations import cross_user, run, run_cell, statement
from spine_harness.storage.expectations import Outcome

pytestmark = pytest.mark.needs("database", "pooler")

EXPECTATIONS = storage_expectations.load()


@pytest.fixture(scope="module")
def seed_objects(admin_conn, seed_rows):
    if admin_conn.execute("select to_regclass('storage.objects')").fetchone()[0] is None:
        pytest.fail("the target has no storage.objects: the Storage schema is missing", pytrace=False)
    objects = storage_objects.create(admin_conn, seed_rows, EXPECTATIONS)
    try:
        yield objects
    finally:
        storage_objects.remove(admin_conn, seed_rows)


@pytest.mark.parametrize("cell", EXPECTATIONS.cells(), ids=lambda c: c.id)
def test_cell(cell, api_conn, seed_rows, seed_objects):
    observed = run_cell(api_conn, seed_rows, seed_objects, cell)
    assert observed.outcome is cell.expected, (
        f"{cell.actor} {cell.operation} in bucket {cell.bucket}: expected {cell.expected.value}, "
        f"got {observed.outcome.value} ({observed.detail})")


@pytest.mark.parametrize("operation", ["upload", "move"])
@pytest.mark.parametrize("bucket", sorted(EXPECTATIONS.buckets))
def test_cross_user_path_refused(bucket, operation, api_conn, seed_rows, seed_objects):
    """A user may not write into another user's folder, by upload or by moving an object there."""
    observed = cross_user(api_conn, seed_rows, seed_objects, bucket, operation)
    assert observed.outcome is not Outcome.ALLOW, (
        f"owner {operation} into the other user's folder in bucket {bucket}: allowed ({observed.detail})")


def test_no_public_bucket_lists(admin_conn, api_conn, seed_rows, seed_objects):
    """Every bucket the database marks public (read from storage.buckets, not from the file):
    anon and another user listing it see nothing, though it holds an object."""
    public = [r[0] for r in admin_conn.execute("select id from storage.buckets where public order by 1")]
    listed = []
    for bucket in public:
        name = seed_objects.names.get(bucket)
        if name is None:
            listed.append(f"{bucket}: public bucket with no written expectation")
            continue
        for actor in ("anon", "other"):
            query, params = statement("list", bucket, name, seed_rows.users["owner"], seed_rows.run_id, None)
            observed = run(api_conn, actor, query, params, seed_rows)
            if observed.outcome is Outcome.ALLOW:
                listed.append(f"{bucket}: {actor} lists {observed.detail}")
    assert not listed, "public buckets that allow listing:\n  " + "\n  ".join(listed)


def test_buckets_as_written(admin_conn):
    """The database's buckets are exactly the written ones, with their visibility and limits."""
    have_limits = admin_conn.execute(
        "select count(*) = 2 from information_schema.columns where table_schema = 'storage'"
        " and table_name = 'buckets' and column_name in ('file_size_limit', 'allowed_mime_types')").fetchone()[0]
    cols = "id, public, file_size_limit, allowed_mime_types" if have_limits else "id, public, null, null"
    rows = {r[0]: r[1:] for r in admin_conn.execute(f"select {cols} from storage.buckets")}
    wrong = [f"{b}: not in the written expectations" for b in sorted(set(rows) - set(EXPECTATIONS.buckets))]
    for b in EXPECTATIONS.buckets.values():
        if b.id not in rows:
            wrong.append(f"{b.id}: no such bucket")
            continue
        public, size, mimes = rows[b.id]
        want = (b.public, b.file_size_limit, sorted(b.allowed_mime_types or []))
        got = (bool(public), size, sorted(mimes or []))
        if got != want:
            wrong.append(f"{b.id}: public/size limit/MIME types are {got}, written {want}")
    assert not wrong, "buckets not as written:\n  " + "\n  ".join(wrong)
