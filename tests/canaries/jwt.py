"""Canaries for the always-on JWT checks (token hygiene, JWT to role): a target whose secret or
keys are wrong, and a database where a token's claims or authenticator's rights are broken."""
from __future__ import annotations

import contextlib
import secrets
import warnings
from collections.abc import Callable, Iterator

from spine_harness.keys import tokens
from tests.canaries import Canary, CanaryEnv, register, sql_canary
from spine_harness.database.connections import connect
from spine_harness.gateway.attacks import GUESSED_SECRET
from spine_harness.targets.model import Target

ROLES = "test_jwt_roles.py"
HYGIENE = "test_token_hygiene.py"


def target_canary(name: str, breaks: str, change: Callable[[Target], dict], suites: tuple[str, ...],
                  must_fail: tuple[str, ...]) -> Canary:
    """A scratch target whose secret or keys are replaced: `change` returns the new fields."""
    @contextlib.contextmanager
    def broken(env: CanaryEnv) -> Iterator[Target]:
        with env.local.scratch(f"canary_{name}", label=f"canary:{name}") as target:
            yield target.replace(**change(target))
    return register(Canary(name, breaks, suites, must_fail, broken))


def _keys_for(secret: str) -> dict:
    with warnings.catch_warnings():   # PyJWT warns about the short key: that is the breakage
        warnings.simplefilter("ignore")
        return {"jwt_secret": secret, "anon_key": tokens.mint_api_key(secret, "anon"),
                "service_role_key": tokens.mint_api_key(secret, "service_role")}


target_canary(
    "jwt_secret_guessable", f"JWT_SECRET is the dictionary word {GUESSED_SECRET!r} (keys signed with it)",
    lambda t: _keys_for(GUESSED_SECRET),
    (HYGIENE,),
    (f"{HYGIENE}::test_jwt_secret_is_strong",))

target_canary(
    "anon_key_foreign_secret", "ANON_KEY signed with a secret other than JWT_SECRET",
    lambda t: {"anon_key": tokens.mint_api_key(secrets.token_urlsafe(48), "anon")},
    (HYGIENE,),
    (f"{HYGIENE}::test_api_key_verifies_with_the_secret[ANON_KEY]",))

target_canary(
    "anon_key_claims_service_role", "ANON_KEY validly signed but carrying role service_role",
    lambda t: {"anon_key": tokens.mint_api_key(t.jwt_secret, "service_role")},
    (HYGIENE,),
    (f"{HYGIENE}::test_api_key_verifies_with_the_secret[ANON_KEY]",))

target_canary(
    "service_key_is_anon_key", "SERVICE_ROLE_KEY set to the anon key",
    lambda t: {"service_role_key": t.anon_key},
    (HYGIENE,),
    (f"{HYGIENE}::test_service_key_is_not_the_anon_key",
     f"{HYGIENE}::test_api_key_verifies_with_the_secret[SERVICE_ROLE_KEY]"))

sql_canary(
    "auth_uid_ignores_claims", "auth.uid() no longer reads the sub of request.jwt.claims",
    "create or replace function auth.uid() returns uuid language sql stable set search_path = ''"
    " as 'select null::uuid'",
    (ROLES,),
    (f"{ROLES}::test_token_becomes_role[authenticated]",
     f"{ROLES}::test_token_reads_what_rls_allows[public.users-owner]"))

sql_canary(
    "authenticator_granted_table", "authenticator granted SELECT on public.users directly",
    "grant select on public.users to authenticator",
    (ROLES,),
    (f"{ROLES}::test_authenticator_only_switches_roles",))


@contextlib.contextmanager
def _authenticator_in_supabase_admin(env: CanaryEnv) -> Iterator[Target]:
    """Role membership is cluster-wide, not per database: granted for the run, always revoked."""
    with env.local.scratch("canary_authenticator_in_supabase_admin", label="canary:authenticator_in_supabase_admin") as target:
        with connect(target.direct_dsn, autocommit=True) as conn:
            conn.execute("grant supabase_admin to authenticator")
            try:
                yield target
            finally:
                conn.execute("revoke supabase_admin from authenticator")


register(Canary(
    "authenticator_in_supabase_admin", "authenticator made a member of the superuser supabase_admin",
    (ROLES,),
    (f"{ROLES}::test_role_switch_refused[supabase_admin]",
     f"{ROLES}::test_authenticator_only_switches_roles"),
    _authenticator_in_supabase_admin))
