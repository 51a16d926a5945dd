"""Canaries for the derived exposure checks (test_exposure.py), the hostile claims of the RLS
matrix and the column policy (test_column_policy.py): each is a migration someone could
plausibly write, run on a scratch copy of the schemas. None of them is a mistake an older lint
looks for: a clean view with security_invoker, a function with a fixed search_path, a grant
at column grain."""
from tests.canaries import sql_canary

EXPOSURE = "test_exposure.py"
MATRIX = "test_rls_matrix.py"
LINTS = "test_rls_lints.py"
COLUMNS = "test_column_policy.py"


def _kind(kind: str) -> str:
    return f"{EXPOSURE}::test_reachable_objects_are_expected[{kind}]"


# --- objects of every kind, newly reachable --------------------------------------------------------

sql_canary(
    "exposed_new_table", "a new gesign table granted to authenticated, with no written expectation",
    "create table gesign.canary_drafts (id int primary key, body text);"
    " alter table gesign.canary_drafts enable row level security;"
    " create policy canary_drafts_all on gesign.canary_drafts for select to authenticated using (false);"
    " grant select on gesign.canary_drafts to authenticated",
    (EXPOSURE,), (_kind("table"),))

sql_canary(
    "exposed_partitioned_table", "a partitioned event table in public (the default grants give anon everything)",
    "create table public.canary_events (id int, at date) partition by range (at)",
    (EXPOSURE,), (_kind("partitioned table"),))

sql_canary(
    "exposed_view", "a security_invoker view over certificates granted to authenticated",
    "create view gesign.canary_cert_status with (security_invoker = true) as select id, status from gesign.certificates;"
    " grant select on gesign.canary_cert_status to authenticated",
    (EXPOSURE,), (_kind("view"),))

sql_canary(
    "exposed_materialized_view", "a materialized view of profile counts in public (materialized views have no RLS)",
    "create materialized view public.canary_profile_stats as select locale, count(*) from public.users group by locale",
    (EXPOSURE,), (_kind("materialized view"),))

sql_canary(
    "exposed_foreign_table", "a foreign table in public reading a server-side file",
    "create extension if not exists file_fdw schema extensions;"
    " create server canary_files foreign data wrapper file_fdw;"
    " create foreign table public.canary_import (line text) server canary_files options (filename '/dev/null')",
    (EXPOSURE,), (_kind("foreign table"),))

sql_canary(
    "exposed_sequence", "a ticket-number sequence in public (anon may advance it)",
    "create sequence public.canary_ticket_seq",
    (EXPOSURE,), (_kind("sequence"),))

sql_canary(
    "exposed_function", "a tidy function in public (fixed search_path, invoker's rights) anon may call over /rpc",
    "create function public.canary_count_profiles() returns bigint language sql stable set search_path = ''"
    " as 'select count(*) from public.users'",
    (EXPOSURE,), (_kind("function"),))

sql_canary(
    "exposed_extension", "pgcrypto installed into public instead of extensions",
    "create extension pgcrypto schema public",
    (EXPOSURE,), (_kind("extension"),))

sql_canary(
    "exposed_schema_via_role_setting", "authenticator's pgrst.db_schemas for this database also names auth",
    "do $$ begin execute format('alter role authenticator in database %I set pgrst.db_schemas = %L',"
    " current_database(), 'public, gesign, eid, auth'); end $$",
    (EXPOSURE,), (f"{EXPOSURE}::test_exposed_schemas_are_the_stack_s", _kind("function")))

# --- privileges at the grain Postgres grants them --------------------------------------------------

sql_canary(
    "table_references_and_trigger", "authenticated granted REFERENCES and TRIGGER on public.users",
    "grant references, trigger on public.users to authenticated",
    (EXPOSURE,), (f"{EXPOSURE}::test_table_privileges_are_expected",))

sql_canary(
    "column_update_on_certificates", "authenticated may UPDATE the status and revoked_at columns of gesign.certificates",
    "grant update (status, revoked_at) on gesign.certificates to authenticated",
    (EXPOSURE,), (f"{EXPOSURE}::test_column_writes_are_expected",))

sql_canary(
    "column_update_beyond_allowed", "authenticated may UPDATE created_at of its profile (the table allows display_name, locale)",
    "grant update (created_at) on public.users to authenticated",
    (EXPOSURE,), (f"{EXPOSURE}::test_column_writes_are_expected",))

sql_canary(
    "column_select_on_totp", "authenticated granted SELECT on two columns of public.user_totp",
    "grant select (user_id, confirmed_at) on public.user_totp to authenticated",
    (EXPOSURE,), (f"{EXPOSURE}::test_column_reads_are_expected",))

# --- a policy that trusts what the user wrote ------------------------------------------------------

sql_canary(
    "policy_trusts_user_metadata", "a certificates policy admitting whoever's user_metadata says is_admin",
    "create policy canary_admins on gesign.certificates for select to authenticated"
    " using (coalesce(((select auth.jwt()) -> 'user_metadata' ->> 'is_admin')::boolean, false))",
    (MATRIX, LINTS),
    (f"{MATRIX}::test_cell[gesign.certificates-other-select]", f"{LINTS}::test_lint[rls_references_user_metadata]"))

# --- the column policy ---------------------------------------------------------------------------------

sql_canary(
    "eid_clear_national_id_column", "a clear-text national_id column added to eid.national_id_metadata",
    "alter table eid.national_id_metadata add column national_id text",
    (COLUMNS,), (f"{COLUMNS}::test_every_sensitive_column_is_classed",))

sql_canary(
    "recovery_code_hash_as_text", "recovery-code digests stored as hex text instead of bytes",
    "alter table public.mfa_recovery_codes drop constraint mfa_recovery_codes_hash_is_sha256;"
    " alter table public.mfa_recovery_codes alter column code_hash type text using encode(code_hash, 'hex')",
    (COLUMNS,), (f"{COLUMNS}::test_column_types_fit_their_class",))

_CANARY_USER = "insert into auth.users (id, email) values ('00000000-0000-4000-8000-00000000c0de', 'c0de@spine-harness.invalid');"

sql_canary(
    "national_id_in_hmac_column", "the eID service wrote the register number itself where its HMAC belongs",
    _CANARY_USER
    + " insert into eid.national_id_metadata (user_id, national_id_hmac, issuing_authority, assurance_level, verified_at)"
    " values ('00000000-0000-4000-8000-00000000c0de', convert_to(rpad('register УБ99012345', 30), 'UTF8'),"
    " 'canary', 'low', now())",
    (COLUMNS,),
    (f"{COLUMNS}::test_hashed_and_sealed_values_are_not_text", f"{COLUMNS}::test_no_identity_value_in_clear"))

sql_canary(
    "email_in_verification_log", "the verification log records the operator's e-mail address in requested_by",
    _CANARY_USER
    + " insert into eid.verification_logs (user_id, method, result, requested_by)"
    " values ('00000000-0000-4000-8000-00000000c0de', 'in_person', 'success', 'bat.erdene@gerege.mn')",
    (COLUMNS,), (f"{COLUMNS}::test_no_identity_value_in_clear",))
