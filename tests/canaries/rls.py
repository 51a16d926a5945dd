"""Canaries for the RLS matrix and the catalog lints: each breaks a scratch copy of the schemas."""
from tests.canaries import sql_canary

MATRIX = "test_rls_matrix.py"
LINTS = "test_rls_lints.py"
ADVISORS = "test_advisors.py"    # Supabase's advisors now judge what our lints no longer do

sql_canary(
    "rls_off_certificates", "RLS disabled on gesign.certificates",
    "alter table gesign.certificates disable row level security",
    (MATRIX, LINTS, ADVISORS),
    (f"{MATRIX}::test_cell[gesign.certificates-other-select]",
     f"{LINTS}::test_lint[rls_disabled_in_api_schema]",
     f"{ADVISORS}::test_advisor[policy_exists_rls_disabled]"))

sql_canary(
    "policy_always_true", "a `using (true)` SELECT policy on public.users for authenticated",
    "create policy canary_open on public.users for select to authenticated using (true)",
    (MATRIX, LINTS, ADVISORS),
    (f"{MATRIX}::test_cell[public.users-other-select]",
     f"{LINTS}::test_lint[rls_policy_always_true]",
     f"{ADVISORS}::test_advisor[multiple_permissive_policies]"))

sql_canary(
    "anon_granted_write", "anon granted INSERT on public.users (RLS alone still refuses it)",
    "grant insert on public.users to anon",
    (MATRIX,),
    (f"{MATRIX}::test_privileges[anon-public.users]",))

sql_canary(
    "policy_index_dropped", "the index on gesign.certificates(user_id) that its owner policy filters on dropped",
    "drop index gesign.certificates_user_id_idx",
    (LINTS,),
    (f"{LINTS}::test_lint[policy_column_unindexed]",
     f"{LINTS}::test_lint[unindexed_foreign_keys]"))

sql_canary(
    "table_without_policy", "a new public table with RLS on and no policy (default grants to anon)",
    "create table public.canary_notes (id int primary key, body text);"
    " alter table public.canary_notes enable row level security",
    (MATRIX, LINTS),
    (f"{LINTS}::test_lint[rls_enabled_no_policy]",
     f"{MATRIX}::test_every_exposed_table_has_expectations"))

sql_canary(
    "table_without_rls", "a new public table with RLS never enabled",
    "create table public.canary_open (id int primary key, body text)",
    (MATRIX, LINTS),
    (f"{LINTS}::test_lint[rls_disabled_in_api_schema]",
     f"{MATRIX}::test_every_exposed_table_has_expectations"))

sql_canary(
    "append_only_updatable", "service_role granted UPDATE on the append-only gesign.signing_logs",
    "grant update on gesign.signing_logs to service_role",
    (MATRIX,),
    (f"{MATRIX}::test_cell[gesign.signing_logs-service_role-update]",
     f"{MATRIX}::test_privileges[service_role-gesign.signing_logs]"))

sql_canary(
    "policy_per_row_uid", "the certificates owner policy calls auth.uid() per row instead of (select auth.uid())",
    "drop policy certificates_select_own on gesign.certificates;"
    " create policy certificates_select_own on gesign.certificates for select to authenticated"
    " using (user_id = auth.uid())",
    (LINTS,),
    (f"{LINTS}::test_lint[auth_rls_initplan]",))

sql_canary(
    "function_search_path_unset", "a function in public without a fixed search_path",
    "create function public.canary_fn() returns int language sql as 'select 1'",
    (ADVISORS,),
    (f"{ADVISORS}::test_advisor[function_search_path_mutable]",))

sql_canary(
    "security_definer_callable_by_anon", "a SECURITY DEFINER function anon may execute",
    "create function public.canary_definer() returns int language sql security definer"
    " set search_path = '' as 'select 1'",
    (LINTS,),
    (f"{LINTS}::test_lint[security_definer_executable_by_api_roles]",))

sql_canary(
    "view_without_security_invoker", "a view over public.users without security_invoker",
    "create view public.canary_profiles as select id, display_name from public.users",
    (ADVISORS,),
    (f"{ADVISORS}::test_advisor[security_definer_view]",))

sql_canary(
    "totp_exposed_to_owner", "a policy (and grant) letting users read their own user_totp row",
    "grant select on public.user_totp to authenticated;"
    " create policy canary_totp_own on public.user_totp for select to authenticated"
    " using (user_id = (select auth.uid()))",
    (MATRIX,),
    (f"{MATRIX}::test_cell[public.user_totp-owner-select]",
     f"{MATRIX}::test_privileges[authenticated-public.user_totp]"))
