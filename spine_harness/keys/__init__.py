"""JWT secrets and API keys: the policy a deployment's keys must meet, and PostgREST's rules
for verifying a token."""
