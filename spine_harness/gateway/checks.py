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

from spine_harness.keys import asymmetric, tokens
from spine_harness.gateway import rest
from spine_harness.gateway.attacks import Aim, Attack, Forge
from spine_harness.gateway.routes import Credential, RouteCase, Verdict
from spine_harness.rls.expectations import Cell, Outcome
from spine_harness.rls.matrix import actor_sub
from spine_harness.rls.seed import SeedRows
from spine_harness.rls.statements import STATEMENTS
from spine_harness.targets.model import Target

REFUSED = (401, 403)
APIS = ("rest", "auth", "storage", "realtime")    # each attack is sent to every API behind the gateway
# Where each kind of forged token is sent: the resource it would open if it were accepted
# (method, path, query, body). Realtime's is an empty broadcast: accepted, it changes nothing.
ATTACK_RESOURCES = {
    ("rest", Aim.ESCALATE): ("GET", "/rest/v1/users", {"select": "id"}, None),
    ("rest", Aim.IMPERSONATE): ("GET", "/rest/v1/users", {"select": "id"}, None),
    ("auth", Aim.ESCALATE): ("GET", "/auth/v1/admin/users", {}, None),
    ("auth", Aim.IMPERSONATE): ("GET", "/auth/v1/user", {}, None),
    ("storage", Aim.ESCALATE): ("GET", "/storage/v1/bucket", {}, None),
    ("storage", Aim.IMPERSONATE): ("GET", "/storage/v1/bucket", {}, None),
    ("realtime", Aim.ESCALATE): ("POST", "/realtime/v1/api/broadcast", {}, {"messages": []}),
    ("realtime", Aim.IMPERSONATE): ("POST", "/realtime/v1/api/broadcast", {}, {"messages": []}),
}


@dataclasses.dataclass(frozen=True, repr=False)
class GatewayKeys:
    anon_key: str
    service_role_key: str
    jwt_secret: str | None = None   # only to mint user tokens and validly signed attacks
    publishable_key: str | None = None
    secret_key: str | None = None
    jwt_keys: str | None = None     # GoTrue's signing keys, where the target gives them
    dashboard: tuple[str, str] | None = None   # Studio's basic-auth (user, password)

    @classmethod
    def of(cls, target: Target) -> "GatewayKeys":
        dashboard = ((target.dashboard_username, target.dashboard_password)
                     if target.dashboard_username and target.dashboard_password else None)
        return cls(target.anon_key, target.service_role_key, target.jwt_secret, target.publishable_key,
                   target.secret_key, target.jwt_keys, dashboard)

    @property
    def signer(self) -> asymmetric.SigningKey | None:
        return asymmetric.signer_of(self.jwt_keys, self.jwt_secret)

    def user_token(self, sub, **claims) -> str:
        """A user session token as the deployment's GoTrue signs it (ES256 under asymmetric)."""
        if (signer := self.signer) is not None:
            return asymmetric.mint_user_token(signer, sub, **claims)
        if not self.jwt_secret:
            raise ValueError("a user token is minted with the target's JWT secret or signing key; it gives neither")
        return tokens.mint_user_token(self.jwt_secret, sub, **claims)

    def __repr__(self) -> str:
        return "GatewayKeys(****)"


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


def refused(response: httpx.Response) -> bool:
    """401 or 403; or Storage's way, a 400 whose body carries statusCode 401/403 (storage-api
    answers a bad JWT so in several releases)."""
    if response.status_code in REFUSED:
        return True
    if response.status_code == 400:
        try:
            return str(response.json().get("statusCode")) in ("401", "403")
        except (ValueError, AttributeError):
            return False
    return False


# --- routes -----------------------------------------------------------------------------------------

def unknown_key() -> str:
    """A well-formed key no consumer holds (signed with a secret nobody knows)."""
    return tokens.mint_api_key(secrets.token_urlsafe(48), "anon")


def apikey_for(gw: Gateway, credential: Credential) -> str | None:
    key = {Credential.NONE: None, Credential.UNKNOWN: unknown_key(), Credential.ANON: gw.keys.anon_key,
           Credential.SERVICE: gw.keys.service_role_key, Credential.PUBLISHABLE: gw.keys.publishable_key,
           Credential.SECRET: gw.keys.secret_key}[credential]
    if credential.opaque and not key:
        raise ValueError(f"the target gives no {credential.value.replace('_', ' ')}")
    return key


def check_route(gw: Gateway, case: RouteCase) -> None:
    __tracebackhide__ = True
    response = gw.send("GET", case.probe_path, apikey=apikey_for(gw, case.credential))
    observed = verdict_of(response)
    assert observed is case.expected, (
        f"route {case.route.name}: GET {case.probe_path} with {case.credential.value.replace('_', ' ')}: "
        f"the route table says {case.expected.value}, the gateway answered {response.status_code} {snippet(response)}")


# --- the attack catalogue ------------------------------------------------------------------------------

def check_attack(gw: Gateway, attack: Attack, api: str, forge: Forge) -> None:
    """The forged bearer rides on the public anon apikey, as an attacker would send it. A token
    naming the attacker's key server must also leave that server without a single request."""
    __tracebackhide__ = True
    method, path, params, body = ATTACK_RESOURCES[(api, attack.aim)]
    fetched_before = len(forge.attacker.fetched()) if forge.attacker is not None else 0
    response = gw.send(method, path, apikey=gw.keys.anon_key, bearer=attack.token(forge), params=params, body=body)
    leaked = rows_in(response)
    assert refused(response) and not leaked, (
        f"attack {attack.name} ({attack.how}): {method} {path} -> {response.status_code}, "
        f"{f'{leaked} row(s) leaked (not shown)' if leaked else snippet(response)}; expected 401 or 403 and no rows")
    if attack.needs_attacker_server:
        fetched = forge.attacker.fetched()[fetched_before:]
        assert not fetched, (f"attack {attack.name}: the target fetched the attacker's key server "
                             f"({', '.join(fetched)}) to verify a token")


# --- PostgREST through the gateway, cell by cell -----------------------------------------------------------

def credentials_for(gw: Gateway, actor: str, sub: uuid.UUID | None) -> tuple[str, str]:
    """(apikey, bearer) as an application sends them for each actor of the RLS table."""
    if actor == "service_role":
        return gw.keys.service_role_key, gw.keys.service_role_key
    if actor == "anon":
        return gw.keys.anon_key, gw.keys.anon_key
    return gw.keys.anon_key, gw.keys.user_token(sub)


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


# --- opaque API keys ------------------------------------------------------------------------------------

OPAQUE_KEYS = ("publishable", "secret")
BROWSER_HEADERS = {"Origin": "https://app.example.invalid",
                   "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"}


def opaque_key(gw: Gateway, which: str) -> str:
    key = gw.keys.publishable_key if which == "publishable" else gw.keys.secret_key
    if not key:
        raise ValueError(f"the target gives no {which} key")
    return key


def check_sb_key_only_in_authorization(gw: Gateway, which: str, api: str) -> None:
    """An opaque key is an apikey, never a bearer: sent only in Authorization it is refused."""
    __tracebackhide__ = True
    method, path, params, body = ATTACK_RESOURCES[(api, Aim.ESCALATE)]
    response = gw.send(method, path, bearer=opaque_key(gw, which), params=params, body=body)
    assert refused(response) and not rows_in(response), (
        f"the {which} key sent only as Authorization: Bearer: {method} {path} -> {response.status_code} "
        f"{snippet(response)}; expected 401 or 403")


def check_opaque_apikey_keeps_user(gw: Gateway, sub: uuid.UUID, api: str) -> None:
    """The publishable key as apikey with a user's own JWT (supabase-js's signed-in request):
    the gateway must pass the user's token on, not put the anon JWT in its place."""
    __tracebackhide__ = True
    bearer = gw.keys.user_token(sub)
    if api == "auth":
        response = gw.send("GET", "/auth/v1/user", apikey=opaque_key(gw, "publishable"), bearer=bearer)
        seen = response.json().get("id") if response.is_success else None
        assert seen == str(sub), (f"publishable apikey + a user JWT: GET /auth/v1/user -> {response.status_code} "
                                  f"{snippet(response)}; expected the user's own record")
        return
    response = gw.send("GET", "/rest/v1/users", apikey=opaque_key(gw, "publishable"), bearer=bearer,
                       params={"select": "id", "id": f"eq.{sub}"})
    assert response.is_success and rows_in(response) == 1, (
        f"publishable apikey + a user JWT: GET /rest/v1/users?id=eq.<the user> -> {response.status_code} "
        f"{snippet(response)}; expected the user's own row (the request kept the user's identity)")


def check_secret_key_refused_in_browser(gw: Gateway, api: str) -> None:
    """A secret key where only a publishable key belongs, a browser (an Origin header): refused."""
    __tracebackhide__ = True
    method, path, params, body = ATTACK_RESOURCES[(api, Aim.ESCALATE)]
    response = gw.send(method, path, apikey=opaque_key(gw, "secret"), params=params, body=body,
                       headers=BROWSER_HEADERS)
    assert refused(response) and not rows_in(response), (
        f"the secret key from a browser (Origin set): {method} {path} -> {response.status_code} "
        f"{f'{rows_in(response)} row(s) (not shown)' if rows_in(response) else snippet(response)}; expected 401 or 403")


def check_published_jwks(gw: Gateway) -> dict:
    """GoTrue's /.well-known/jwks.json, open to all: public keys only, no symmetric key, and the
    signing key's public half where the target gives its keys."""
    __tracebackhide__ = True
    response = gw.send("GET", "/auth/v1/.well-known/jwks.json")
    assert response.status_code == 200, f"GET /auth/v1/.well-known/jwks.json -> {response.status_code} {snippet(response)}"
    try:
        jwks = response.json()
        asymmetric.check_jwks("the published JWKS", jwks, gw.keys.signer, published=True)
    except (ValueError, AttributeError) as exc:
        raise AssertionError(f"the published JWKS is unfit: {exc}") from None
    return jwks
