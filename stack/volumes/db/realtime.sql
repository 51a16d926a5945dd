-- Realtime keeps its tenants and channels in postgres._realtime (DB_AFTER_CONNECT_QUERY).
\set pguser `echo "$POSTGRES_USER"`

create schema if not exists _realtime;
alter schema _realtime owner to :pguser;
