-- Logflare (the analytics service) keeps its tables in _supabase._analytics.
\set pguser `echo "$POSTGRES_USER"`

\c _supabase
create schema if not exists _analytics;
alter schema _analytics owner to :pguser;
\c postgres
