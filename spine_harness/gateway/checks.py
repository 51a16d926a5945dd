"""The live gateway checks, written once as plain functions of a Gateway (an httpx client, the
base URL and the keys) so the conformance suite (a real Kong) and the harness's own tests (the
double in tests/) run the very same logic.

Gateway-agnostic on purpose: verdicts come from status codes (401, 403, anything else means the
gateway let the request through) and from whether the body holds rows; wording is never
compared, so Kong 2.8, Kong 3.x or Envoy can be judged. Failure messages quote what was sent
(method, path, which credential; never a key) and what came back.
"""
from __future__ import annotations

import contextlib
import dataclasses
import secrets
import uuid
from collections.abc import Iterator

import httpx

from spine_harness.keys import tokens
from spine_harness.gateway import rest
from spine_harness.gateway.attacks import Aim, Attack, Forge
from spine_harness.gateway.routes import Credential, RouteCase, Verdict
from spine_harness.rls.expectations import Cell, Outcome
from spine_harness.rls.matrix import actor_sub
from spine_harness.rls.seed import SeedRows
from spine_harness.rls.statements import STATEMENTS
from spine_harness.targets.model import Target

REFUSED = (401, 403)
APIS = ("rest", "auth")    # each attack is sent to /rest/v1 and to /auth/v1
# Where each kind of forged token is sent: the resource it would open if it were accepted.
ATTACK_RESOURCES = {
    ("rest", Aim.ESCALATE): ("/rest/v1/users", {"select": "id"}),
    ("rest", Aim.IMPERSONATE): ("/rest/v1/users", {"select": "id"}),
    ("auth", Aim.ESCALATE): ("/auth/v1/admin/users", {}),
    ("auth", Aim.IMPERSONATE): ("/auth/v1/user", {}),
}


@dataclasses.dataclass(frozen=True)
class GatewayKeys:
    anon_key: str
    service_role_key: str
    jwt_secret: str | None = None   # only to mint user tokens and validly signed attacks

    @classmethod
    def of(cls, target: Target) -> "GatewayKeys":
        return cls(target.anon_key, target.service_role_key, target.jwt_secret)


@dataclasses.dataclass(frozen=True)
class Gateway:
    client: httpx.Client
    base_url: str
    keys: GatewayKeys

    @classmethod
    @contextlib.contextmanager
    def open(cls, target: Target) -> Iterator["Gateway"]:
        with httpx.Client(timeout=15.0, follow_redirects=False) as client:
            yield cls(client, target.gateway_url.rstrip("/"), GatewayKeys.of(target))

    def send(self, method: str, path: str, *, apikey: str | None = None, bearer: str | None = None,
             params: dict | None = None, headers: dict | None = None, body=None) -> httpx.Response:
        sent = dict(headers or {})
        if apikey is not None:
            sent["apikey"] = apikey
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        return self.client.request(method, self.base_url + path, params=params, headers=sent, json=body)


# --- evidence ---------------------------------------------------------------------------------------

def snippet(response: httpx.Response, limit: int = 200) -> str:
    text = " ".join(response.text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def rows_in(response: httpx.Response) -> int:
    """How many rows (PostgREST) or user records (GoTrue) the body carries."""
    try:
        body = response.json()
    except ValueError:
        return 0
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        if isinstance(body.get("users"), list):
            return len(body["users"])
        return 1 if "id" in body and ("email" in body or "aud" in body) else 0
    return 0


def verdict_of(response: httpx.Response) -> Verdict:
    return {401: Verdict.UNAUTHORIZED, 403: Verdict.FORBIDDEN}.get(response.status_code, Verdict.PASS)


# --- routes -----------------------------------------------------------------------------------------

def unknown_key() -> str:
    """A well-formed key no consumer holds (signed with a secret nobody knows)."""
    return tokens.mint_api_key(secrets.token_urlsafe(48), "anon")


def apikey_for(gw: Gateway, credential: Credential) -> str | None:
    return {Credential.NONE: None, Credential.UNKNOWN: unknown_key(), Credential.ANON: gw.keys.anon_key,
            Credential.SERVICE: gw.keys.service_role_key}[credential]


def check_route(gw: Gateway, case: RouteCase) -> None:
    __tracebackhide__ = True
    response = gw.send("GET", case.probe_path, apikey=apikey_for(gw, case.credential))
    observed = verdict_of(response)
    assert observed is case.expected, (
        f"route {case.route.name}: GET {case.probe_path} with {case.credential.value.replace('_', ' ')}: "
        f"kong.yml says {case.expected.value}, the gateway answered {response.status_code} {snippet(response)}")


# --- the attack catalogue ------------------------------------------------------------------------------

def check_attack(gw: Gateway, attack: Attack, api: str, forge: Forge) -> None:
    """The forged bearer rides on the public anon apikey, as an attacker would send it."""
    __tracebackhide__ = True
    path, params = ATTACK_RESOURCES[(api, attack.aim)]
    response = gw.send("GET", path, apikey=gw.keys.anon_key, bearer=attack.token(forge), params=params)
    leaked = rows_in(response)
    assert response.status_code in REFUSED and not leaked, (
        f"attack {attack.name} ({attack.how}): GET {path} -> {response.status_code}, "
        f"{f'{leaked} row(s) leaked (not shown)' if leaked else snippet(response)}; expected 401 or 403 and no rows")


# --- PostgREST through the gateway, cell by cell -----------------------------------------------------------

def credentials_for(gw: Gateway, actor: str, sub: uuid.UUID | None) -> tuple[str, str]:
    """(apikey, bearer) as an application sends them for each actor of the RLS table."""
    if actor == "service_role":
        return gw.keys.service_role_key, gw.keys.service_role_key
    if actor == "anon":
        return gw.keys.anon_key, gw.keys.anon_key
    if not gw.keys.jwt_secret:
        raise ValueError(f"the {actor} actor needs a user token, minted with the target's JWT secret, "
                         "which the target does not give")
    return gw.keys.anon_key, tokens.mint_user_token(gw.keys.jwt_secret, sub)


def current_value(gw: Gateway, cell: Cell, seed: SeedRows):
    """The updated column's present value, read with the service key, so an allowed update
    writes the row back unchanged."""
    schema, name = rest.split_table(cell.table)
    column = rest.updated_column(cell.table)
    response = gw.send("GET", f"/rest/v1/{name}", apikey=gw.keys.service_role_key,
                       bearer=gw.keys.service_role_key, headers=rest.profile_header(schema, "GET"),
                       params={"select": column} | rest.row_filter(cell.table, seed))
    rows = response.json() if response.is_success else None
    assert rows and isinstance(rows, list), (
        f"the service key could not read {cell.table}.{column} of the harness's row to update it: "
        f"-> {response.status_code} {snippet(response)}")
    return rows[0][column]


def check_rest_cell(gw: Gateway, seed: SeedRows, cell: Cell) -> None:
    __tracebackhide__ = True
    apikey, bearer = credentials_for(gw, cell.actor, actor_sub(cell, seed))
    value = current_value(gw, cell, seed) if cell.operation == "update" else None
    request = rest.cell_request(cell, seed, value)
    response = gw.send(request.method, request.path, apikey=apikey, bearer=bearer, params=request.params,
                       headers=request.headers, body=request.body)
    observed = rest.outcome_of(response)
    assert observed is cell.expected, (
        f"{cell.actor} {cell.operation} on {cell.table} through the gateway: {request} -> "
        f"{response.status_code} {snippet(response)}: expected {cell.expected.value}, "
        f"got {observed.value if observed else 'no RLS outcome'}")


def check_anon_table_read(gw: Gateway, table: str, expected: Outcome) -> None:
    """The anon key alone, on a whole table: needs no seeded rows, so it runs read-only."""
    __tracebackhide__ = True
    schema, name = rest.split_table(table)
    response = gw.send("GET", f"/rest/v1/{name}", apikey=gw.keys.anon_key, bearer=gw.keys.anon_key,
                       params={"select": STATEMENTS[table].key, "limit": "1"},
                       headers=rest.profile_header(schema, "GET"))
    observed = rest.outcome_of(response)
    acceptable = {Outcome.ALLOW, Outcome.FILTER} if expected is Outcome.ALLOW else {expected}
    leaked = rows_in(response)
    assert observed in acceptable, (
        f"the anon key reading {table}: GET /rest/v1/{name} -> {response.status_code}, "
        f"{f'{leaked} row(s) (not shown)' if leaked else snippet(response)}: expected {expected.value}")


def check_client_select(gw: Gateway, seed: SeedRows, cell: Cell) -> None:
    """The same read through the official supabase client, as an application makes it."""
    __tracebackhide__ = True
    # Imported here: the supabase client is heavy, and only this check needs it.
    from postgrest.exceptions import APIError
    from supabase import ClientOptions, create_client

    apikey, bearer = credentials_for(gw, cell.actor, actor_sub(cell, seed))
    options = ClientOptions(headers={"Authorization": f"Bearer {bearer}"}, httpx_client=gw.client,
                            auto_refresh_token=False, persist_session=False)
    client = create_client(gw.base_url, apikey, options)
    schema, name = rest.split_table(cell.table)
    key = STATEMENTS[cell.table].key
    try:
        rows = client.schema(schema).table(name).select(key).eq(key, str(STATEMENTS[cell.table].target(seed))).execute().data
        observed, detail = (Outcome.ALLOW if rows else Outcome.FILTER), f"{len(rows)} row(s)"
    except APIError as exc:
        observed, detail = Outcome.DENY, f"APIError {exc.code}: {exc.message}"
    assert observed is cell.expected, (
        f"supabase client as {cell.actor}: schema({schema!r}).table({name!r}).select({key!r}) -> {detail}: "
        f"expected {cell.expected.value}")
