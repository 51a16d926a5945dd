-- A database of its own for the platform's bookkeeping (Logflare's and Supavisor's tables),
-- so that it never mixes with the Spine's data in `postgres`.
\set pguser `echo "$POSTGRES_USER"`

create database _supabase with owner :pguser;
