"""The Spine's typical database transactions, each written once and run two ways: by the Locust
database user through psycopg, and by pgbench from a script rendered from the same statements,
so that a side-by-side figure compares the same work.

Each runs as PostgREST would run it for one request: one transaction that first sets the role
and the JWT claims transaction-locally (spine_harness.database.impersonation), then the statements.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import time
import uuid

from spine_harness.database import impersonation
from spine_harness.capacity import population

TOTP_STEP_SECONDS = 30


@dataclasses.dataclass(frozen=True)
class Operation:
    name: str                    # the request name in Locust's statistics
    weight: int                  # how often, relative to the others, a client does it
    role: str                    # the API role PostgREST would switch to
    method: str
    path: str
    statements: tuple[str, ...]  # psycopg placeholders: %(user_id)s, %(certificate_id)s, ...

    def claims(self, user: uuid.UUID) -> dict:
        if self.role == "authenticated":
            return impersonation.claims_for("authenticated", user)
        return impersonation.claims_for(self.role)

    def params(self, index: int) -> dict:
        """Values for user `index` of the seeded population."""
        return {"user_id": population.user_id(index), "certificate_id": population.certificate_id(index),
                "document_hash": os.urandom(32), "step": int(time.time()) // TOTP_STEP_SECONDS}


PROFILE_READ = Operation(
    "profile read", 4, "authenticated", "GET", "/rest/v1/users",
    ("select id, display_name, locale, created_at from public.users where id = %(user_id)s",))

CERTIFICATE_LIST = Operation(
    "certificate list", 3, "authenticated", "GET", "/rest/v1/certificates",
    # No user filter: RLS is what narrows the list to the caller's own certificates.
    ("select id, serial_number, subject_dn, status, not_after from gesign.certificates"
     " where status = 'active' order by not_after desc limit 50",))

SIGNING_LOG_INSERT = Operation(
    "signing-log insert", 2, "authenticated", "POST", "/rest/v1/signing_logs",
    ("insert into gesign.signing_logs (user_id, certificate_id, document_hash, document_name, signature_algorithm)"
     " values (%(user_id)s, %(certificate_id)s, %(document_hash)s, 'load.pdf', 'ECDSA-P256-SHA256')"
     " returning id, signed_at",))

# The database side of a TOTP verification by the MFA service (service_role): lock the user's
# enrolment, then advance the replay guard only if this time step was not accepted before.
MFA_VERIFY = Operation(
    "MFA verify", 1, "service_role", "POST", "/rest/v1/rpc/verify_totp",
    ("select t.secret_ciphertext, t.secret_nonce, t.key_version, t.last_accepted_step, s.failed_attempts,"
     " s.locked_until from public.user_totp t join public.user_mfa_settings s on s.user_id = t.user_id"
     " where t.user_id = %(user_id)s for update of t",
     "update public.user_totp set last_accepted_step = %(step)s, updated_at = now()"
     " where user_id = %(user_id)s and coalesce(last_accepted_step, 0) < %(step)s returning last_accepted_step"))

OPERATIONS: tuple[Operation, ...] = (PROFILE_READ, CERTIFICATE_LIST, SIGNING_LOG_INSERT, MFA_VERIFY)


# --- the same transactions as pgbench scripts -----------------------------------------------------

def _pgbench_values(op: Operation) -> dict[str, str]:
    """SQL expressions pgbench evaluates where Python passes parameters (`:i` is the user index)."""
    claims = ("json_build_object('role', 'authenticated', 'iss', 'supabase', 'sub', "
              f"{population.user_id_sql(':i')}, 'aal', 'aal1')::text" if op.role == "authenticated"
              else f"'{json.dumps(op.claims(uuid.UUID(int=0)))}'")
    return {
        "claims": claims,
        "user_id": population.user_id_sql(":i"),
        "certificate_id": population.certificate_id_sql(":i"),
        "document_hash": "sha256(random()::text::bytea)",
        "step": f"floor(extract(epoch from now()) / {TOTP_STEP_SECONDS})::bigint",
    }


def pgbench_script(op: Operation, users: int) -> str:
    """A pgbench custom script doing what DatabaseClient.run does for `op`."""
    values = _pgbench_values(op)

    def render(statement: str) -> str:
        return re.sub(r"%\((\w+)\)s", lambda m: values[m.group(1)], statement)

    impersonate = (f"select set_config('role', '{op.role}', true), set_config('request.jwt.claims', "
                   f"{values['claims']}, true), set_config('request.method', '{op.method}', true), "
                   f"set_config('request.path', '{op.path}', true);")
    lines = [f"-- {op.name}: rendered from spine_harness.capacity.operations",
             f"\\set i random(1, {users})", "BEGIN;", impersonate,
             *(render(s) + ";" for s in op.statements), "COMMIT;"]
    return "\n".join(lines) + "\n"
