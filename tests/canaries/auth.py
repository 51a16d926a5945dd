"""Canaries for the auth schema: routes by which the API roles could read GoTrue's tables."""
from tests.canaries import sql_canary

AUTH = "test_auth_schema.py"
ADVISORS = "test_advisors.py"

sql_canary(
    "auth_users_view_in_public", "a view in public over auth.users (readable by anon by default grants)",
    "create view public.canary_user_emails as select id, email from auth.users",
    (AUTH, ADVISORS),
    (f"{AUTH}::test_no_view_reads_auth_tables",
     f"{ADVISORS}::test_advisor[auth_users_exposed]",
     f"{ADVISORS}::test_advisor[security_definer_view]"))

sql_canary(
    "auth_users_granted", "authenticated granted SELECT on auth.users",
    "grant select on auth.users to authenticated",
    (AUTH,),
    (f"{AUTH}::test_no_privilege_on_auth_tables[authenticated]",))

sql_canary(
    "auth_column_granted_to_anon", "anon granted SELECT on auth.users(email) only",
    "grant select (email) on auth.users to anon",
    (AUTH,),
    (f"{AUTH}::test_no_privilege_on_auth_tables[anon]",))

sql_canary(
    "definer_function_reads_auth", "a SECURITY DEFINER function in public returning auth.users emails",
    "create function public.canary_email(uid uuid) returns text language sql security definer"
    " set search_path = '' as 'select email from auth.users where id = uid'",
    (AUTH,),
    (f"{AUTH}::test_no_definer_function_reads_auth_tables",))
