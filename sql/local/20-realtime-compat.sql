-- Compatibility bootstrap for the `local` target ONLY: the subset of the `realtime` schema the
-- Realtime service's migrations create for private channels (realtime.messages and
-- realtime.topic()), so that sql/50-realtime.sql and the Realtime matrix run unchanged here.
-- Never mounted into the compose stack. Idempotent: safe to apply twice.

create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  id uuid not null default gen_random_uuid(),
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  primary key (id, inserted_at)
);
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

-- The channel being joined: Realtime sets `realtime.topic` (transaction-local) before it asks
-- the policies whether the caller may receive or send.
create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;
grant execute on function realtime.topic() to anon, authenticated, service_role;
