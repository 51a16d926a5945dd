-- Storage: the Spine's buckets and who may touch which object in them.
--
-- Who may do what is written once, as data, in sql/storage-expectations.yaml; the Storage
-- matrix reads it. Storage authorizes every operation on a private bucket through RLS on
-- storage.objects, evaluated as the caller's role with the caller's JWT claims: list and
-- download need SELECT, upload INSERT, upsert INSERT and SELECT and UPDATE, move UPDATE (and
-- SELECT), delete DELETE. Every user's objects live under a folder named by their user id.
-- A public bucket skips these policies only for downloads by URL, never for listing.
--
-- The supabase/postgres image creates storage.buckets and storage.objects before this file
-- runs; the bucket limits are columns the Storage service's own migrations add, so they are
-- set only where those columns exist (re-apply this file after Storage's first start).
-- Idempotent: safe to apply twice.

do $$
begin
  if to_regclass('storage.buckets') is null then
    raise notice 'storage.buckets does not exist yet: re-apply 40-storage.sql after Storage has started';
    return;
  end if;
  -- Signed documents: private, PDF only, write-once for their owner (a signed document is
  -- evidence: replacing, moving or deleting it is the backend's job, as service_role).
  insert into storage.buckets (id, name, public) values ('signed-documents', 'signed-documents', false)
    on conflict (id) do update set public = excluded.public;
  -- Avatars: public (served by URL without a token), small images, each user manages their own.
  insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true)
    on conflict (id) do update set public = excluded.public;
  if exists (select from information_schema.columns where table_schema = 'storage'
             and table_name = 'buckets' and column_name = 'allowed_mime_types') then
    execute $q$
      update storage.buckets set file_size_limit = 20971520, allowed_mime_types = array['application/pdf']
        where id = 'signed-documents';
      update storage.buckets set file_size_limit = 1048576,
          allowed_mime_types = array['image/png', 'image/jpeg', 'image/webp']
        where id = 'avatars';
    $q$;
  end if;
end
$$;

-- One policy per command, for both buckets: the first folder of the object's path must be the
-- caller's own user id. `(select auth.uid())` is evaluated once per statement.
drop policy if exists spine_objects_owner_select on storage.objects;
create policy spine_objects_owner_select on storage.objects
  for select to authenticated
  using (bucket_id in ('signed-documents', 'avatars')
         and (storage.foldername(name))[1] = (select auth.uid())::text);

drop policy if exists spine_objects_owner_insert on storage.objects;
create policy spine_objects_owner_insert on storage.objects
  for insert to authenticated
  with check (bucket_id in ('signed-documents', 'avatars')
              and (storage.foldername(name))[1] = (select auth.uid())::text);

-- Overwrite (upsert), move and delete: avatars only.
drop policy if exists spine_objects_owner_update on storage.objects;
create policy spine_objects_owner_update on storage.objects
  for update to authenticated
  using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);

drop policy if exists spine_objects_owner_delete on storage.objects;
create policy spine_objects_owner_delete on storage.objects
  for delete to authenticated
  using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);
