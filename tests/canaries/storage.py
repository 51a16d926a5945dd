"""Canaries for Storage authorization: each breaks sql/40-storage.sql's buckets or policies on a
scratch copy of the schemas."""
from tests.canaries import sql_canary

STORAGE = "test_storage_matrix.py"

sql_canary(
    "public_bucket_lists", "a SELECT policy letting anyone list the public avatars bucket",
    "create policy canary_avatars_list on storage.objects for select to anon, authenticated"
    " using (bucket_id = 'avatars')",
    (STORAGE,),
    (f"{STORAGE}::test_no_public_bucket_lists",
     f"{STORAGE}::test_cell[avatars-anon-list]",
     f"{STORAGE}::test_cell[avatars-other-list]"))

sql_canary(
    "owner_policy_forgot_folder", "the owners' upload policy checks the bucket but not the user's folder",
    "drop policy spine_objects_owner_insert on storage.objects;"
    " create policy spine_objects_owner_insert on storage.objects for insert to authenticated"
    " with check (bucket_id in ('signed-documents', 'avatars'))",
    (STORAGE,),
    (f"{STORAGE}::test_cell[signed-documents-other-upload]",
     f"{STORAGE}::test_cross_user_path_refused[signed-documents-upload]",
     f"{STORAGE}::test_cross_user_path_refused[avatars-upload]"))

sql_canary(
    "signed_documents_overwritable", "an UPDATE policy lets owners upsert and move their signed documents",
    "create policy canary_signed_update on storage.objects for update to authenticated"
    " using (bucket_id = 'signed-documents' and (storage.foldername(name))[1] = (select auth.uid())::text)",
    (STORAGE,),
    (f"{STORAGE}::test_cell[signed-documents-owner-upsert]",
     f"{STORAGE}::test_cell[signed-documents-owner-move]"))

sql_canary(
    "upsert_without_select", "the owners' SELECT policy no longer covers avatars: INSERT and UPDATE remain,"
    " but an upsert needs SELECT too",
    "drop policy spine_objects_owner_select on storage.objects;"
    " create policy spine_objects_owner_select on storage.objects for select to authenticated"
    " using (bucket_id = 'signed-documents' and (storage.foldername(name))[1] = (select auth.uid())::text)",
    (STORAGE,),
    (f"{STORAGE}::test_cell[avatars-owner-upsert]",
     f"{STORAGE}::test_cell[avatars-owner-download]"))

sql_canary(
    "signed_documents_public", "the signed-documents bucket made public, its limits lifted",
    "update storage.buckets set public = true, file_size_limit = null where id = 'signed-documents'",
    (STORAGE,),
    (f"{STORAGE}::test_buckets_as_written",))
