"""A small in-process stand-in for Kong, PostgREST and GoTrue, in front of the REAL local database,
to prove the gateway suite's own logic: the live checks pass against it as configured and fail
on each deliberate breakage. It lives in tests/ only and is never offered as a target: the
conformance suite judges a real gateway (TARGET=compose or remote), never this.

Kong's part follows kong.yml (longest-prefix routes, key-auth on the `apikey` header or query,
ACL groups, basic-auth); PostgREST's follows spine_harness.keys.postgrest and runs each request
as authenticator through the pooler, writing through json_populate_recordset as PostgREST does;
GoTrue's answers /user and /admin/users from auth.users.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import httpx
import jwt
import psycopg
import yaml
from psycopg import sql

from spine_harness.gateway import kong_config as kong
from spine_harness.keys import postgrest as postgrest_auth
from spine_harness.database.connections import connect
from spine_harness.gateway.checks import Gateway, GatewayKeys
from spine_harness.database.impersonation import request as impersonated
from spine_harness.config.paths import STACK_DIR
from spine_harness.rls import seed as rls_seed
from spine_harness.rls.seed import SeedRows
from spine_harness.targets.model import Target

DOUBLE_URL = "http://gateway-double.invalid"   # .invalid: nothing real could ever answer it
GOTRUE_ADMIN_ROLES = ("service_role", "supabase_admin")


@dataclasses.dataclass(frozen=True)
class Breakage:
    """One deliberate fault of the double (its canaries)."""

    name: str
    breaks: str
    edit_kong: Callable[[dict], None] | None = None
    accept_alg_none: bool = False
    ignore_expiry: bool = False


def _service(raw: dict, name: str) -> dict:
    return next(s for s in raw["services"] if s["name"] == name)


def _strip_auth(raw: dict) -> None:
    svc = _service(raw, "rest-v1")
    svc["plugins"] = [p for p in svc["plugins"] if p["name"] not in ("key-auth", "acl")]


def _anon_into_admin_acl(raw: dict) -> None:
    acl = next(p for p in _service(raw, "meta")["plugins"] if p["name"] == "acl")
    acl["config"]["allow"].append("anon")


BREAKAGES = {b.name: b for b in (
    Breakage("route_without_key_auth", "rest-v1 left with cors only (key-auth and acl removed)", edit_kong=_strip_auth),
    Breakage("anon_in_admin_acl", "anon added to the ACL of the admin-only /pg/ route", edit_kong=_anon_into_admin_acl),
    Breakage("accepts_alg_none", "tokens with alg none (any casing) accepted unsigned", accept_alg_none=True),
    Breakage("accepts_expired", "exp no longer checked", ignore_expiry=True),
)}


def _json(status: int, body=None) -> httpx.Response:
    return httpx.Response(status, json=body) if body is not None else httpx.Response(status)


def _bearer(request: httpx.Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[7:] if value.lower().startswith("bearer ") else None


class GatewayDouble:
    def __init__(self, target: Target, breakage: Breakage | None = None) -> None:
        self.breakage = breakage or Breakage("none", "as configured")
        raw = yaml.safe_load((STACK_DIR / "volumes" / "api" / "kong.yml").read_text())
        if self.breakage.edit_kong:
            self.breakage.edit_kong(raw)
        rendered = kong.render(yaml.safe_dump(raw), {
            "SUPABASE_ANON_KEY": target.anon_key, "SUPABASE_SERVICE_KEY": target.service_role_key,
            "DASHBOARD_USERNAME": "dashboard", "DASHBOARD_PASSWORD": secrets.token_urlsafe(24)})
        self.config = kong.parse(rendered)
        self.consumer_of = {key: consumer for consumer, keys in self.config.consumer_keys.items() for key in keys}
        self.secret = target.jwt_secret
        self.api_conn = connect(target.api_dsn, autocommit=True)      # PostgREST's login
        self.auth_conn = connect(target.direct_dsn, autocommit=True)  # GoTrue's (privileged) login

    def close(self) -> None:
        self.api_conn.close()
        self.auth_conn.close()

    # --- Kong ------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        route = self.config.route_for(request.url.path)
        if route is None:
            return _json(404, {"message": "no Route matched with those values"})
        if (refusal := self._gate(route, request)) is not None:
            return refusal
        base = urlsplit(route.upstream).path or "/"
        rest = request.url.path[len(route.path):]
        path = base.rstrip("/") + "/" + rest.lstrip("/") if rest else base
        host = urlsplit(route.upstream).hostname
        if host == "rest":
            return self._postgrest(request, path)
        if host == "auth":
            return self._gotrue(request, path)
        return _json(404, {"message": f"the double does not model {host}"})

    def _gate(self, route: kong.Route, request: httpx.Request) -> httpx.Response | None:
        if route.basic_auth:
            return _json(401, {"message": "Unauthorized"})   # the suite never holds dashboard credentials
        consumer = None
        if route.key_auth:
            key = request.headers.get("apikey") or request.url.params.get("apikey")
            if not key:
                return _json(401, {"message": "No API key found in request"})
            if (consumer := self.consumer_of.get(key)) is None:
                return _json(401, {"message": "Invalid authentication credentials"})
        if "acl" in route.plugins:
            if consumer is None:
                return _json(401, {"message": "Unauthorized"})
            if not any(route.admits_group(g) for g in self.config.consumer_groups.get(consumer, ())):
                return _json(403, {"message": "You cannot consume this service"})
        return None

    # --- token rules (shared by the PostgREST and GoTrue parts) ------------------------------
    def _claims(self, token: str | None) -> dict:
        if token is None:
            return {}
        try:
            if self.breakage.accept_alg_none and jwt.get_unverified_header(token).get("alg", "").lower() == "none":
                return jwt.decode(token, options={"verify_signature": False})
            if self.breakage.ignore_expiry:
                return jwt.decode(token, self.secret, algorithms=["HS256"],
                                  options={"verify_exp": False, "verify_aud": False})
        except jwt.PyJWTError as exc:
            raise postgrest_auth.TokenRefused("PGRST301", type(exc).__name__) from None
        return postgrest_auth.verify(token, self.secret)

    # --- PostgREST ---------------------------------------------------------------------------
    def _postgrest(self, request: httpx.Request, path: str) -> httpx.Response:
        try:
            claims = self._claims(_bearer(request))
        except postgrest_auth.TokenRefused as exc:
            return _json(401, {"code": exc.code, "message": exc.reason})
        if path == "/":
            return _json(200, {"swagger": "2.0", "info": {"title": "PostgREST double"}})
        name = path.strip("/")
        if not name or "/" in name:
            return _json(404, {"code": "PGRST125", "message": "Invalid path specified in request URL"})
        method = request.method
        schema = request.headers.get("accept-profile" if method == "GET" else "content-profile", "public")
        try:
            statement, args = _statement(method, sql.Identifier(schema, name), request)
        except ValueError as exc:
            return _json(400, {"code": "PGRST100", "message": str(exc)})
        try:
            with impersonated(self.api_conn, claims, commit=method != "GET", method=method, path=path) as cur:
                rows = cur.execute(statement, args).fetchone()[0]
        except psycopg.errors.InsufficientPrivilege as exc:
            return _json(401 if postgrest_auth.role_of(claims) == "anon" else 403,
                         {"code": "42501", "message": exc.diag.message_primary})
        except psycopg.errors.InvalidParameterValue as exc:
            return _json(401, {"code": "22023", "message": exc.diag.message_primary})
        except psycopg.errors.UndefinedTable as exc:
            return _json(404, {"code": "42P01", "message": exc.diag.message_primary})
        except psycopg.Error as exc:
            return _json(400, {"code": exc.sqlstate, "message": exc.diag.message_primary})
        status = {"GET": 200, "POST": 201}.get(method, 200)
        if method != "GET" and "return=representation" not in request.headers.get("prefer", ""):
            return _json(201 if method == "POST" else 204)
        return _json(status, rows)

    # --- GoTrue ------------------------------------------------------------------------------
    def _gotrue(self, request: httpx.Request, path: str) -> httpx.Response:
        if path in ("/verify", "/callback", "/authorize"):
            return _json(400, {"error": "invalid_request", "error_description": "missing parameters"})
        if path == "/.well-known/jwks.json":
            return _json(200, {"keys": []})
        if path not in ("/user", "/admin/users"):
            return _json(404, {"code": 404, "msg": "not found"})
        token = _bearer(request)
        if token is None:
            return _json(401, {"code": 401, "msg": "This endpoint requires a Bearer token"})
        try:
            claims = self._claims(token)
        except postgrest_auth.TokenRefused as exc:
            return _json(401, {"code": 401, "msg": f"invalid JWT: {exc.reason}"})
        if path == "/admin/users":
            if claims.get("role") not in GOTRUE_ADMIN_ROLES:
                return _json(403, {"code": 403, "msg": "User not allowed"})
            users = self.auth_conn.execute("select id::text, email from auth.users order by created_at").fetchall()
            return _json(200, {"users": [{"id": i, "email": e} for i, e in users]})
        try:
            sub = uuid.UUID(str(claims.get("sub")))
        except ValueError:
            return _json(403, {"code": 403, "msg": "invalid claim: missing sub claim"})
        row = self.auth_conn.execute("select id::text, email from auth.users where id = %s", (sub,)).fetchone()
        if row is None:
            return _json(403, {"code": 403, "msg": "User from sub claim in JWT does not exist"})
        return _json(200, {"id": row[0], "email": row[1], "aud": claims.get("aud")})


def _statement(method: str, table: sql.Identifier, request: httpx.Request) -> tuple[sql.Composed, list]:
    """PostgREST's SQL for the subset the suite sends: eq filters, select, limit, one-table writes."""
    params = request.url.params
    select = params.get("select", "*")
    columns = sql.SQL("*") if select == "*" else sql.SQL(", ").join(map(sql.Identifier, select.split(",")))
    conditions, args = [], []
    for key, value in params.multi_items():
        if key in ("select", "limit", "apikey"):
            continue
        op, _, operand = value.partition(".")
        if op != "eq":
            raise ValueError(f"the double supports only eq filters, not {op!r}")
        conditions.append(sql.SQL("{}::text = %s").format(sql.Identifier(key)))
        args.append(operand)
    where = sql.SQL(" and ").join(conditions) if conditions else sql.SQL("true")
    body = json.loads(request.content) if request.content else None
    if method == "GET":
        limit = sql.SQL(" limit {}").format(int(params["limit"])) if "limit" in params else sql.SQL("")
        inner = sql.SQL("select {} from {} where {}{}").format(columns, table, where, limit)
        return sql.SQL("select coalesce(json_agg(r), '[]') from ({}) r").format(inner), args
    if method == "POST":
        rows = body if isinstance(body, list) else [body]
        cols = sql.SQL(", ").join(map(sql.Identifier, rows[0]))
        inner = sql.SQL("insert into {} ({}) select {} from json_populate_recordset(null::{}, %s::json) returning {}").format(
            table, cols, cols, table, columns)
        args = [json.dumps(rows)]
    elif method == "PATCH":
        cols = sql.SQL(", ").join(map(sql.Identifier, body))
        inner = sql.SQL("update {} set ({}) = (select {} from json_populate_record(null::{}, %s::json))"
                        " where {} returning {}").format(table, cols, cols, table, where, columns)
        args = [json.dumps(body), *args]
    elif method == "DELETE":
        inner = sql.SQL("delete from {} where {} returning {}").format(table, where, columns)
    else:
        raise ValueError(f"method {method} is not modelled")
    return sql.SQL("with r as ({}) select coalesce(json_agg(r), '[]') from r").format(inner), args


@contextlib.contextmanager
def serving(target: Target, breakage: Breakage | None = None) -> Iterator[Gateway]:
    """The double behind an httpx transport, handed out as the Gateway the live checks take."""
    double = GatewayDouble(target, breakage)
    try:
        with httpx.Client(transport=httpx.MockTransport(double.handle)) as client:
            yield Gateway(client, DOUBLE_URL, GatewayKeys.of(target))
    finally:
        double.close()


@contextlib.contextmanager
def seeded(target: Target) -> Iterator[SeedRows]:
    """The RLS suite's marked rows in the target's database, removed afterwards."""
    with connect(target.direct_dsn, autocommit=True) as conn:
        seed = rls_seed.create(conn)
        try:
            yield seed
        finally:
            rls_seed.remove(conn, seed)


def failing(check: Callable[[object], None], cases: Iterable, case_id: Callable[[object], str]) -> set[str]:
    """The ids of the cases whose check fails (an AssertionError: the check's verdict)."""
    failed = set()
    for case in cases:
        try:
            check(case)
        except AssertionError:
            failed.add(case_id(case))
    return failed
