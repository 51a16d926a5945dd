-- Schema public: the Spine's user profile and the MFA tables.
--
-- Who may do what is written once, as data, in sql/rls-expectations.yaml; the conformance suite
-- reads it. Grants are the first gate (a role that should never touch a table holds no
-- privilege on it), RLS the second. Policies compare indexed columns to `(select auth.uid())`
-- so Postgres evaluates the uid once per statement, not once per row.
-- Idempotent: safe to apply twice.

-- One profile row per auth.users row.
create table if not exists public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text check (char_length(display_name) <= 120),
  locale text not null default 'mn-MN' check (locale ~ '^[a-z]{2}(-[A-Z]{2})?$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.users is 'One profile per auth.users row; created by public.handle_new_user().';

-- Whether MFA is on, and the verifier's failure counter (NIST 800-63B: throttle guessing).
create table if not exists public.user_mfa_settings (
  user_id uuid primary key references public.users (id) on delete cascade,
  totp_enabled boolean not null default false,
  enrolled_at timestamptz,
  failed_attempts integer not null default 0 check (failed_attempts >= 0),
  locked_until timestamptz,
  recovery_codes_generated_at timestamptz,
  updated_at timestamptz not null default now()
);

-- The TOTP secret, sealed with AES-256-GCM by the application; the database never sees it in
-- clear, so there is no plaintext column at all. A 160-bit (20-byte) secret seals to 20 bytes
-- of ciphertext plus a 16-byte tag. last_accepted_step is RFC 6238's replay guard.
create table if not exists public.user_totp (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references public.users (id) on delete cascade,
  secret_ciphertext bytea not null,
  secret_nonce bytea not null,
  key_version smallint not null,
  last_accepted_step bigint,
  confirmed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_totp_ciphertext_is_sealed_160_bit check (octet_length(secret_ciphertext) = 36),
  constraint user_totp_nonce_is_96_bit check (octet_length(secret_nonce) = 12),
  constraint user_totp_key_version_positive check (key_version > 0),
  -- GCM's one hard rule: a nonce is never used twice under one key. Random 96-bit nonces make a
  -- collision negligible; this makes a copied or derived nonce impossible to store.
  constraint user_totp_nonce_unique_per_key unique (key_version, secret_nonce),
  constraint user_totp_step_positive check (last_accepted_step is null or last_accepted_step > 0)
);

-- Recovery codes, stored only as SHA-256 digests (acceptable because each code carries at
-- least 112 bits of entropy). batch_id ties a set together so regenerating retires the old one.
create table if not exists public.mfa_recovery_codes (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.users (id) on delete cascade,
  batch_id uuid not null,
  code_hash bytea not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  constraint mfa_recovery_codes_hash_is_sha256 check (octet_length(code_hash) = 32),
  constraint mfa_recovery_codes_unique_hash unique (user_id, code_hash)
);

-- Profiles appear with their auth user. SECURITY DEFINER so GoTrue's role can insert the
-- profile; the fixed search_path keeps it from resolving names through a caller's path.
create or replace function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.users (id) values (new.id) on conflict (id) do nothing;
  return new;
end
$$;
revoke all on function public.handle_new_user() from public, anon, authenticated;

drop trigger if exists on_auth_user_created on auth.users;
create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-- Grants: the default privileges of schema public give every API role everything; take back
-- what the expectations table does not allow.
revoke all on public.users, public.user_mfa_settings, public.user_totp, public.mfa_recovery_codes
  from anon, authenticated;
revoke truncate, references, trigger
  on public.users, public.user_mfa_settings, public.user_totp, public.mfa_recovery_codes
  from service_role;
grant select, insert, update, delete
  on public.users, public.user_mfa_settings, public.user_totp, public.mfa_recovery_codes
  to service_role;
grant select on public.users to authenticated;
-- Column grain: a user edits their display name and locale, never their id or timestamps.
grant update (display_name, locale) on public.users to authenticated;
grant select on public.user_mfa_settings to authenticated;

alter table public.users enable row level security;
alter table public.user_mfa_settings enable row level security;
alter table public.user_totp enable row level security;
alter table public.mfa_recovery_codes enable row level security;

drop policy if exists users_select_own on public.users;
create policy users_select_own on public.users
  for select to authenticated
  using (id = (select auth.uid()));

drop policy if exists users_update_own on public.users;
create policy users_update_own on public.users
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

drop policy if exists user_mfa_settings_select_own on public.user_mfa_settings;
create policy user_mfa_settings_select_own on public.user_mfa_settings
  for select to authenticated
  using (user_id = (select auth.uid()));

-- user_totp and mfa_recovery_codes have no policy on purpose: no API role but service_role
-- (which bypasses RLS) holds any privilege on them, and RLS stays on as a second lock.
