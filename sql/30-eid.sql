-- Schema eid: what the national eID service keeps about a verified identity, and its audit log.
--
-- The national register number itself is never stored: the eID service keeps an HMAC-SHA256 of
-- it under its own key, which is enough to find a duplicate registration and useless to anyone
-- who reads the table. Idempotent: safe to apply twice.

create schema if not exists eid;
grant usage on schema eid to anon, authenticated, service_role;

create table if not exists eid.national_id_metadata (
  user_id uuid primary key references public.users (id) on delete cascade,
  national_id_hmac bytea not null unique check (octet_length(national_id_hmac) = 32),
  hmac_key_version smallint not null default 1 check (hmac_key_version > 0),
  birth_year smallint check (birth_year between 1900 and 2100),
  issuing_authority text not null,
  document_expires_on date,
  assurance_level text not null check (assurance_level in ('low', 'substantial', 'high')),
  verified_at timestamptz not null,
  updated_at timestamptz not null default now()
);

-- Append-only audit of every verification attempt.
create table if not exists eid.verification_logs (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.users (id) on delete restrict,
  method text not null check (method in ('nfc_chip', 'document_scan', 'bank_id', 'in_person')),
  result text not null check (result in ('success', 'failure', 'error')),
  failure_reason text check (char_length(failure_reason) <= 500),
  requested_by text not null,
  created_at timestamptz not null default now()
);
create index if not exists verification_logs_user_id_created_at_idx on eid.verification_logs (user_id, created_at desc);

revoke all on eid.national_id_metadata, eid.verification_logs from public, anon, authenticated, service_role;
grant select on eid.national_id_metadata, eid.verification_logs to authenticated;
grant select, insert, update, delete on eid.national_id_metadata to service_role;
grant select, insert on eid.verification_logs to service_role;

alter table eid.national_id_metadata enable row level security;
alter table eid.verification_logs enable row level security;

drop policy if exists national_id_metadata_select_own on eid.national_id_metadata;
create policy national_id_metadata_select_own on eid.national_id_metadata
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists verification_logs_select_own on eid.verification_logs;
create policy verification_logs_select_own on eid.verification_logs
  for select to authenticated
  using (user_id = (select auth.uid()));
