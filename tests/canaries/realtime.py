"""Canaries for Realtime authorization: each breaks sql/50-realtime.sql's policies on a scratch
copy of the schemas."""
from tests.canaries import sql_canary

REALTIME = "test_realtime_matrix.py"

sql_canary(
    "private_topic_readable_by_anon", "a SELECT policy on realtime.messages for anon",
    "create policy canary_anon_receive on realtime.messages for select to anon using (true)",
    (REALTIME,),
    (f"{REALTIME}::test_join[user:owner-anon-receive-broadcast]",
     f"{REALTIME}::test_rls_on_and_no_policy_for_anon"))

sql_canary(
    "user_topic_not_scoped", "the receive and send policies accept any user: topic, not the caller's own",
    "drop policy spine_user_topic_receive on realtime.messages;"
    " drop policy spine_user_topic_send on realtime.messages;"
    " create policy spine_user_topic_receive on realtime.messages for select to authenticated"
    "   using ((select realtime.topic()) like 'user:%')",
    (REALTIME,),
    (f"{REALTIME}::test_join[user:owner-other-receive-presence]",
     f"{REALTIME}::test_join[user:owner-owner-send-broadcast]"))
