"""The gateway suite's parts: route expectations generated from kong.yml (routes), the JWT attack
catalogue (attacks), the RLS cells as PostgREST requests (rest) and the live checks (checks)."""
