-- Realtime: who may receive and send on private channels.
--
-- Written once, as data, in sql/realtime-expectations.yaml; the Realtime matrix reads it.
-- Realtime authorizes a private channel at join time by RLS on realtime.messages, as the
-- caller's role with the caller's JWT claims and `realtime.topic` set to the channel: SELECT
-- decides receiving, INSERT sending; the extension column is 'broadcast' or 'presence'.
-- The rule: a signed-in user's own topic `user:<their id>`; service_role (which bypasses RLS)
-- anywhere; anon on no private topic at all (it gets no policy).
--
-- realtime.messages is created by the Realtime service's migrations, which run after the
-- database is initialised: where it does not exist yet this file does nothing (re-apply it
-- after Realtime's first start). Idempotent: safe to apply twice.

do $$
begin
  if to_regclass('realtime.messages') is null then
    raise notice 'realtime.messages does not exist yet: re-apply 50-realtime.sql after Realtime has started';
    return;
  end if;
  execute $q$
    drop policy if exists spine_user_topic_receive on realtime.messages;
    create policy spine_user_topic_receive on realtime.messages
      for select to authenticated
      using ((select realtime.topic()) = 'user:' || (select auth.uid())::text
             and extension in ('broadcast', 'presence'));

    drop policy if exists spine_user_topic_send on realtime.messages;
    create policy spine_user_topic_send on realtime.messages
      for insert to authenticated
      with check ((select realtime.topic()) = 'user:' || (select auth.uid())::text
                  and extension in ('broadcast', 'presence'));
  $q$;
end
$$;
