-- Schema gesign: signing certificates and the append-only log of signatures made with them.
-- Idempotent: safe to apply twice.

create schema if not exists gesign;
grant usage on schema gesign to anon, authenticated, service_role;

create table if not exists gesign.certificates (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete restrict,
  serial_number text not null unique,
  subject_dn text not null,
  issuer_dn text not null,
  fingerprint_sha256 bytea not null unique check (octet_length(fingerprint_sha256) = 32),
  status text not null default 'active' check (status in ('active', 'revoked', 'expired')),
  not_before timestamptz not null,
  not_after timestamptz not null,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  constraint certificates_validity_window check (not_after > not_before),
  constraint certificates_revocation_consistent check ((status = 'revoked') = (revoked_at is not null))
);
-- The owner policy filters on user_id: without this index every policy check is a scan.
create index if not exists certificates_user_id_idx on gesign.certificates (user_id);

-- Append-only: every signature leaves a row that nobody, service_role included, may change.
create table if not exists gesign.signing_logs (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.users (id) on delete restrict,
  certificate_id uuid not null references gesign.certificates (id) on delete restrict,
  document_hash bytea not null check (octet_length(document_hash) = 32),
  document_name text check (char_length(document_name) <= 255),
  signature_algorithm text not null
    check (signature_algorithm in ('RSA-PSS-SHA256', 'ECDSA-P256-SHA256', 'Ed25519')),
  client_ip inet,
  signed_at timestamptz not null default now()
);
create index if not exists signing_logs_user_id_signed_at_idx on gesign.signing_logs (user_id, signed_at desc);
create index if not exists signing_logs_certificate_id_idx on gesign.signing_logs (certificate_id);

revoke all on gesign.certificates, gesign.signing_logs from public, anon, authenticated, service_role;
grant select on gesign.certificates to authenticated;
grant select, insert, update, delete on gesign.certificates to service_role;
grant select, insert on gesign.signing_logs to service_role;
-- Column grain: signed_at and id are the database's to set, so no user can backdate a signature.
grant select on gesign.signing_logs to authenticated;
grant insert (user_id, certificate_id, document_hash, document_name, signature_algorithm, client_ip)
  on gesign.signing_logs to authenticated;

alter table gesign.certificates enable row level security;
alter table gesign.signing_logs enable row level security;

drop policy if exists certificates_select_own on gesign.certificates;
create policy certificates_select_own on gesign.certificates
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists signing_logs_select_own on gesign.signing_logs;
create policy signing_logs_select_own on gesign.signing_logs
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A user may log a signature only for themself, with one of their own active certificates.
drop policy if exists signing_logs_insert_own on gesign.signing_logs;
create policy signing_logs_insert_own on gesign.signing_logs
  for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and exists (
      select 1 from gesign.certificates c
      where c.id = certificate_id and c.user_id = (select auth.uid()) and c.status = 'active'
    )
  );
