-- The image creates the service roles without passwords; every one of them logs in with
-- POSTGRES_PASSWORD, which the container passes in the environment.
-- Runs once, at the first start of an empty data volume (init-scripts/, as postgres).
\set pgpass `echo "$POSTGRES_PASSWORD"`

alter user authenticator with password :'pgpass';
alter user pgbouncer with password :'pgpass';
alter user supabase_auth_admin with password :'pgpass';
alter user supabase_storage_admin with password :'pgpass';
