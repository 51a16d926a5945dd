"""Canaries for Supabase's advisors: findings planted in a scratch copy of the schemas, each of
which the pinned CLI reports at ERROR or WARN (see also tests/canaries/rls.py and auth.py,
whose canaries name the advisors' cases for the lints our own set no longer runs)."""
from tests.canaries import sql_canary

ADVISORS = "test_advisors.py"

sql_canary(
    "advisors_findings_planted",
    "a duplicate index, a materialized view and an extension in public, and a policy reading user metadata",
    "create index canary_users_locale_a on public.users (locale);"
    " create index canary_users_locale_b on public.users (locale);"
    " create materialized view public.canary_locales as select locale, count(*) from public.users group by 1;"
    " create extension pg_trgm schema public;"
    " create policy canary_metadata on public.users for select to authenticated"
    "   using ((select auth.jwt()) -> 'user_metadata' ->> 'admin' = 'true')",
    (ADVISORS,),
    (f"{ADVISORS}::test_advisor[duplicate_index]",
     f"{ADVISORS}::test_advisor[materialized_view_in_api]",
     f"{ADVISORS}::test_advisor[extension_in_public]",
     f"{ADVISORS}::test_advisor[rls_references_user_metadata]"))

sql_canary(
    "advisors_table_open_to_anon",
    "a public table with RLS off that anon may read, and a column named like a secret in it",
    "create table public.canary_accounts (id int primary key, password text);"
    " grant select on public.canary_accounts to anon",
    (ADVISORS,),
    (f"{ADVISORS}::test_advisor[rls_disabled_in_public]",
     f"{ADVISORS}::test_advisor[sensitive_columns_exposed]"))
