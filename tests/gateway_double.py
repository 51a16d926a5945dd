"""A small in-process stand-in for Kong, PostgREST, GoTrue, Storage and Realtime, in front of the
REAL local database, to prove the gateway suites' own logic: the live checks pass against it as
configured and fail on each deliberate breakage. It lives in tests/ only and is never offered
as a target: the conformance suites judge a real gateway (TARGET=compose or remote), never this.

Kong's part follows the route table (longest-prefix routes, key-auth on the `apikey` header or
query, ACL groups, basic-auth, request-termination) and kong.yml's pre-function: an opaque
apikey without a caller's own bearer gets its role's internal JWT. The verifiers follow the key
model of the target: HS256 with the legacy secret, and under the asymmetric model ES256 against
the JWKS (spine_harness.keys.postgrest.verify_jwks). PostgREST's part runs each request as
authenticator through the pooler; GoTrue's answers /user, /admin/users, /token and the JWKS from
auth.users and the signing key; Storage and Realtime keep what they need in memory.
"""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import httpx
import jwt
import psycopg
import yaml
from psycopg import sql

from spine_harness.gateway import kong_config as kong
from spine_harness.gateway import route_table
from spine_harness.keys import asymmetric, tokens
from spine_harness.keys import postgrest as postgrest_auth
from spine_harness.database.connections import connect
from spine_harness.gateway.attacks import Forge
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
    follow_jku: bool = False               # fetches the key a token's jku names, and trusts it
    trust_embedded_jwk: bool = False       # verifies with the jwk a token carries
    hmac_with_public_key: bool = False     # HS256 also verified with the EC public key's PEM
    skip_es256_signature: bool = False     # ES256 with a known kid accepted unverified
    keep_rotated_key: bool = False         # the rotated-out key still in the verifiers' JWKS
    publish_oct: bool = False              # the legacy secret published in the JWKS
    publish_private: bool = False          # the private key's d published in the JWKS
    session_hs256: bool = False            # GoTrue signs sessions HS256 despite the signing key
    opaque_overrides_user: bool = False    # the pre-function replaces a user's own JWT too
    accept_sb_bearer: bool = False         # an sb_ key in Authorization alone is taken as the apikey
    secret_key_in_browser: bool = False    # the secret key accepted with an Origin header
    studio_open: bool = False              # Studio served without basic-auth
    signed_url_needs_auth: bool = False    # Storage refuses a signed URL without a bearer
    kill_service: str | None = None        # one upstream answers 503


def _service(raw: dict, name: str) -> dict:
    return next(s for s in raw["services"] if s["name"] == name)


def _strip_auth(raw: dict) -> None:
    svc = _service(raw, "rest-v1")
    svc["plugins"] = [p for p in svc["plugins"] if p["name"] not in ("key-auth", "acl")]


def _anon_into_admin_acl(raw: dict) -> None:
    acl = next(p for p in _service(raw, "meta")["plugins"] if p["name"] == "acl")
    acl["config"]["allow"].append("anon")


def _unblock_mcp(raw: dict) -> None:
    raw["services"] = [s for s in raw["services"] if s["name"] != "mcp-blocked"]


BREAKAGES = {b.name: b for b in (
    Breakage("route_without_key_auth", "rest-v1 left with cors only (key-auth and acl removed)", edit_kong=_strip_auth),
    Breakage("anon_in_admin_acl", "anon added to the ACL of the admin-only /pg/ route", edit_kong=_anon_into_admin_acl),
    Breakage("mcp_unblocked", "the request-termination of /mcp and /api/mcp removed", edit_kong=_unblock_mcp),
    Breakage("accepts_alg_none", "tokens with alg none (any casing) accepted unsigned", accept_alg_none=True),
    Breakage("accepts_expired", "exp no longer checked", ignore_expiry=True),
    Breakage("follows_jku", "a token's jku is fetched and its key trusted", follow_jku=True),
    Breakage("trusts_embedded_jwk", "a token's embedded jwk is trusted", trust_embedded_jwk=True),
    Breakage("hmac_with_public_key", "HS256 verified with the public key as the HMAC secret", hmac_with_public_key=True),
    Breakage("skips_es256_signature", "ES256 signatures not checked once the kid is known", skip_es256_signature=True),
    Breakage("keeps_rotated_key", "the rotated-out signing key still trusted", keep_rotated_key=True),
    Breakage("publishes_oct", "the JWKS endpoint publishes the legacy symmetric secret", publish_oct=True),
    Breakage("publishes_private", "the JWKS endpoint publishes the private key's d", publish_private=True),
    Breakage("session_hs256", "GoTrue signs sessions HS256 although an ES256 key is configured", session_hs256=True),
    Breakage("opaque_overrides_user", "an opaque apikey's internal JWT replaces the user's own", opaque_overrides_user=True),
    Breakage("accepts_sb_bearer", "an sb_ key in Authorization alone is accepted as the apikey", accept_sb_bearer=True),
    Breakage("secret_key_in_browser", "the secret key is accepted from a browser (Origin)", secret_key_in_browser=True),
    Breakage("studio_open", "Studio served without basic-auth", studio_open=True),
    Breakage("signed_url_needs_auth", "a signed Storage URL is refused without a bearer", signed_url_needs_auth=True),
    Breakage("storage_down", "Storage answers 503", kill_service="storage"),
)}


def _json(status: int, body=None) -> httpx.Response:
    return httpx.Response(status, json=body) if body is not None else httpx.Response(status)


def _bearer(request: httpx.Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[7:] if value.lower().startswith("bearer ") else None


def _storage_refusal(reason: str) -> httpx.Response:
    return _json(400, {"statusCode": "403", "error": "Unauthorized", "message": reason})


class GatewayDouble:
    def __init__(self, target: Target, breakage: Breakage | None = None) -> None:
        self.breakage = breakage or Breakage("none", "as configured")
        self.secret = target.jwt_secret
        self.signer = asymmetric.signer_of(target.jwt_keys, target.jwt_secret)
        self.retired = asymmetric.SigningKey.generate()   # a key the deployment signed with before
        self.dashboard = (target.dashboard_username or "dashboard", target.dashboard_password or secrets.token_urlsafe(24))
        self.publishable_key = target.publishable_key or asymmetric.opaque_key("SUPABASE_PUBLISHABLE_KEY")
        self.secret_key = target.secret_key or asymmetric.opaque_key("SUPABASE_SECRET_KEY")
        if self.signer:
            internal = {role: asymmetric.mint_internal_key(self.signer, role) for role in ("anon", "service_role")}
        else:
            internal = {"anon": target.anon_key, "service_role": target.service_role_key}
        self.internal_jwt = {self.publishable_key: internal["anon"], self.secret_key: internal["service_role"]}
        reader = route_table.reader_for(STACK_DIR)
        raw = yaml.safe_load(reader.path(STACK_DIR).read_text())
        if self.breakage.edit_kong:
            self.breakage.edit_kong(raw)
        rendered = kong.render(yaml.safe_dump(raw), {
            "SUPABASE_ANON_KEY": target.anon_key, "SUPABASE_SERVICE_KEY": target.service_role_key,
            "SUPABASE_PUBLISHABLE_KEY": self.publishable_key, "SUPABASE_SECRET_KEY": self.secret_key,
            "SUPABASE_ANON_JWT": internal["anon"], "SUPABASE_SERVICE_JWT": internal["service_role"],
            "DASHBOARD_USERNAME": self.dashboard[0], "DASHBOARD_PASSWORD": self.dashboard[1]})
        self.config = reader.parse(rendered)
        self.consumer_of = {key: consumer for consumer, keys in self.config.consumer_keys.items() for key in keys}
        self.verifier_jwks = asymmetric.verifier_jwks(self.signer, self.secret)
        if self.breakage.keep_rotated_key:
            self.verifier_jwks["keys"].append(self.retired.public_jwk())
        self.passwords: dict[str, str] = {}             # users created through the admin API
        self.buckets: dict[str, dict] = {}
        self.objects: dict[tuple[str, str], bytes] = {}
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
        if route.terminated:
            return _json(403, {"message": "Forbidden"})
        if (refusal := self._gate(route, request)) is not None:
            return refusal
        request = self._translate(request)
        if isinstance(request, httpx.Response):
            return request
        base = urlsplit(route.upstream).path or "/"
        rest = request.url.path[len(route.path):]
        path = base.rstrip("/") + "/" + rest.lstrip("/") if rest else base
        host = urlsplit(route.upstream).hostname
        if host == self.breakage.kill_service:
            return _json(503, {"message": "upstream unavailable"})
        handler = {"rest": self._postgrest, "auth": self._gotrue, "storage": self._storage, "meta": self._meta,
                   "realtime-dev.supabase-realtime": self._realtime, "studio": self._studio}.get(host)
        if handler is None:
            return _json(404, {"message": f"the double does not model {host}"})
        return handler(request, path)

    def _apikey(self, request: httpx.Request) -> str | None:
        key = request.headers.get("apikey") or request.url.params.get("apikey")
        if not key and self.breakage.accept_sb_bearer and (_bearer(request) or "").startswith("sb_"):
            key = _bearer(request)
        return key

    def _gate(self, route: route_table.Route, request: httpx.Request) -> httpx.Response | None:
        if route.basic_auth:
            if self.breakage.studio_open:
                return None
            expected = "Basic " + base64.b64encode(":".join(self.dashboard).encode()).decode()
            return None if request.headers.get("authorization") == expected else _json(401, {"message": "Unauthorized"})
        consumer = None
        if route.key_auth:
            key = self._apikey(request)
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

    def _translate(self, request: httpx.Request) -> httpx.Request | httpx.Response:
        """kong.yml's pre-function: an opaque apikey's internal JWT as the bearer, unless the
        caller sent a token of its own; the secret key refused from a browser."""
        key = self._apikey(request)
        if key not in self.internal_jwt:
            return request
        if key == self.secret_key and request.headers.get("origin") and not self.breakage.secret_key_in_browser:
            return _json(401, {"message": "Forbidden use of secret API key in browser"})
        bearer = _bearer(request)
        if bearer is None or bearer == key or self.breakage.opaque_overrides_user:
            headers = dict(request.headers) | {"authorization": f"Bearer {self.internal_jwt[key]}"}
            return httpx.Request(request.method, request.url, headers=headers, content=request.content)
        return request

    # --- token rules (shared by the verifiers) ------------------------------------------------
    def _claims(self, token: str | None) -> dict:
        if token is None:
            return {}
        b = self.breakage
        try:
            header = jwt.get_unverified_header(token)
            alg = str(header.get("alg", ""))
            if b.accept_alg_none and alg.lower() == "none":
                return jwt.decode(token, options={"verify_signature": False})
            if b.ignore_expiry:
                return jwt.decode(token, self.secret, algorithms=["HS256"],
                                  options={"verify_exp": False, "verify_aud": False})
            if b.follow_jku and header.get("jku"):
                fetched = httpx.get(header["jku"], timeout=5).json()
                key = next(k for k in fetched["keys"] if k.get("kid") == header.get("kid"))
                return jwt.decode(token, jwt.PyJWK(key).key, algorithms=[alg], options={"verify_aud": False})
            if b.trust_embedded_jwk and header.get("jwk"):
                return jwt.decode(token, jwt.PyJWK(header["jwk"]).key, algorithms=[alg], options={"verify_aud": False})
            if b.hmac_with_public_key and alg == "HS256" and self.signer:
                from cryptography.hazmat.primitives import serialization
                pem = self.signer.private.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                signing_input, _, signature = token.rpartition(".")
                from jwt.algorithms import HMACAlgorithm
                if HMACAlgorithm(HMACAlgorithm.SHA256).verify(signing_input.encode(), pem,
                                                              base64.urlsafe_b64decode(signature + "==")):
                    return jwt.decode(token, options={"verify_signature": False})
            if b.skip_es256_signature and alg == "ES256" and any(
                    k.get("kid") == header.get("kid") for k in self.verifier_jwks["keys"]):
                return jwt.decode(token, options={"verify_signature": False})
        except (jwt.PyJWTError, StopIteration, KeyError, ValueError, httpx.HTTPError) as exc:
            raise postgrest_auth.TokenRefused("PGRST301", type(exc).__name__) from None
        return postgrest_auth.verify_jwks(token, self.verifier_jwks)

    def _session(self, sub: str, email: str) -> str:
        if self.signer and not self.breakage.session_hs256:
            return asymmetric.mint_user_token(self.signer, sub, email=email)
        return tokens.mint_user_token(self.secret, sub, email=email)

    def published_jwks(self) -> dict:
        keys = [self.signer.public_jwk()] if self.signer else []
        if self.breakage.publish_oct:
            keys.append(asymmetric.legacy_jwk(self.secret))
        if self.breakage.publish_private and self.signer:
            keys = [self.signer.private_jwk()]
        return {"keys": keys}

    # --- PostgREST ---------------------------------------------------------------------------
    def _postgrest(self, request: httpx.Request, path: str) -> httpx.Response:
        try:
            claims = self._claims(_bearer(request))
        except postgrest_auth.TokenRefused as exc:
            return _json(401, {"code": exc.code, "message": exc.reason})
        if path == "/":
            return _json(200, {"swagger": "2.0", "info": {"title": "PostgREST double"}})
        if path == "/rpc/graphql":
            return _json(200, {"data": {"__typename": "Query"}})
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
            return _json(200, self.published_jwks())
        if path in ("/health", "/settings"):
            return _json(200, {"name": "GoTrue double"} if path == "/health" else {"external": {"email": True}})
        if path == "/token" and request.url.params.get("grant_type") == "password":
            body = json.loads(request.content or b"{}")
            row = self.auth_conn.execute("select id::text from auth.users where email = %s",
                                         (body.get("email"),)).fetchone()
            if row is None or self.passwords.get(row[0]) != body.get("password"):
                return _json(400, {"error": "invalid_grant", "error_description": "Invalid login credentials"})
            return _json(200, {"access_token": self._session(row[0], body["email"]), "token_type": "bearer"})
        admin_user = path.startswith("/admin/users/")
        if path not in ("/user", "/admin/users") and not admin_user:
            return _json(404, {"code": 404, "msg": "not found"})
        token = _bearer(request)
        if token is None:
            return _json(401, {"code": 401, "msg": "This endpoint requires a Bearer token"})
        try:
            claims = self._claims(token)
        except postgrest_auth.TokenRefused as exc:
            return _json(401, {"code": 401, "msg": f"invalid JWT: {exc.reason}"})
        if path == "/admin/users" or admin_user:
            if claims.get("role") not in GOTRUE_ADMIN_ROLES:
                return _json(403, {"code": 403, "msg": "User not allowed"})
            return self._admin(request, path)
        try:
            sub = uuid.UUID(str(claims.get("sub")))
        except ValueError:
            return _json(403, {"code": 403, "msg": "invalid claim: missing sub claim"})
        row = self.auth_conn.execute("select id::text, email from auth.users where id = %s", (sub,)).fetchone()
        if row is None:
            return _json(403, {"code": 403, "msg": "User from sub claim in JWT does not exist"})
        return _json(200, {"id": row[0], "email": row[1], "aud": claims.get("aud")})

    def _admin(self, request: httpx.Request, path: str) -> httpx.Response:
        if request.method == "POST" and path == "/admin/users":
            body = json.loads(request.content or b"{}")
            uid = str(uuid.uuid4())
            self.auth_conn.execute("insert into auth.users (id, email) values (%s, %s)", (uid, body["email"]))
            self.passwords[uid] = body.get("password")
            return _json(200, {"id": uid, "email": body["email"], "aud": "authenticated"})
        if request.method == "DELETE" and path.startswith("/admin/users/"):
            uid = path.rsplit("/", 1)[1]
            deleted = self.auth_conn.execute("delete from auth.users where id::text = %s", (uid,)).rowcount
            self.passwords.pop(uid, None)
            return _json(200, {}) if deleted else _json(404, {"code": 404, "msg": "User not found"})
        users = self.auth_conn.execute("select id::text, email from auth.users order by created_at").fetchall()
        return _json(200, {"users": [{"id": i, "email": e} for i, e in users]})

    # --- Storage -------------------------------------------------------------------------------
    def _storage(self, request: httpx.Request, path: str) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts == ["status"]:
            return _json(200, {"status": "ok"})
        if parts[:2] == ["object", "sign"] and request.method == "GET":
            return self._signed_download(request, "/".join(parts[2:]))
        if parts[:2] == ["object", "public"] and request.method == "GET":
            bucket, name = parts[2], "/".join(parts[3:])
            if not self.buckets.get(bucket, {}).get("public") or (bucket, name) not in self.objects:
                return _json(400, {"statusCode": "404", "error": "not_found"})
            return httpx.Response(200, content=self.objects[(bucket, name)])
        token = _bearer(request)
        if token is None:
            return _storage_refusal("headers must have required property 'authorization'")
        try:
            claims = self._claims(token)
        except postgrest_auth.TokenRefused as exc:
            return _storage_refusal(exc.reason)
        service = claims.get("role") == "service_role"
        if parts == ["bucket"] and request.method == "GET":
            return _json(200, list(self.buckets.values()) if service else [])
        if not service:
            return _json(400, {"statusCode": "403", "error": "Unauthorized", "message": "new row violates row-level security policy"})
        if parts == ["bucket"] and request.method == "POST":
            body = json.loads(request.content)
            self.buckets[body["id"]] = {"id": body["id"], "name": body["name"], "public": bool(body.get("public"))}
            return _json(200, {"name": body["name"]})
        if parts[0] == "bucket" and request.method == "DELETE":
            self.buckets.pop(parts[1], None)
            return _json(200, {"message": "Successfully deleted"})
        if parts[:2] == ["object", "sign"] and request.method == "POST":
            key = "/".join(parts[2:])
            signed = jwt.encode({"url": key, "exp": int(time.time()) + 600}, self.secret, algorithm="HS256")
            return _json(200, {"signedURL": f"/object/sign/{key}?token={signed}"})
        if parts[0] == "object" and len(parts) >= 3:
            bucket, name = parts[1], "/".join(parts[2:])
            if request.method == "POST":
                self.objects[(bucket, name)] = request.content
                return _json(200, {"Key": f"{bucket}/{name}"})
            if request.method == "DELETE":
                self.objects.pop((bucket, name), None)
                return _json(200, {"message": "Successfully deleted"})
        return _json(400, {"statusCode": "404", "error": "not_found"})

    def _signed_download(self, request: httpx.Request, key: str) -> httpx.Response:
        if self.breakage.signed_url_needs_auth and _bearer(request) is None:
            return _storage_refusal("signed URL refused without a bearer")
        try:
            claims = jwt.decode(request.url.params.get("token", ""), self.secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return _storage_refusal("invalid signature")
        bucket, _, name = key.partition("/")
        if claims.get("url") != key or (bucket, name) not in self.objects:
            return _storage_refusal("invalid signature")
        return httpx.Response(200, content=self.objects[(bucket, name)])

    # --- Realtime, postgres-meta, Studio ----------------------------------------------------
    def _realtime(self, request: httpx.Request, path: str) -> httpx.Response:
        if path == "/api/ping":
            return _json(200, {"message": "Success"})
        token = _bearer(request) or request.headers.get("apikey")
        try:
            self._claims(token)
        except postgrest_auth.TokenRefused as exc:
            return _json(401, {"message": exc.reason})
        if path == "/api/broadcast" and request.method == "POST":
            return httpx.Response(202)
        return _json(404, {"message": "not found"})

    def _meta(self, request: httpx.Request, path: str) -> httpx.Response:
        return _json(200, [{"name": "public"}]) if path.startswith("/schemas") else _json(404, {})

    def _studio(self, request: httpx.Request, path: str) -> httpx.Response:
        return httpx.Response(200, text="<html>Studio double</html>")


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
def serving_double(target: Target, breakage: Breakage | None = None) -> Iterator[tuple[Gateway, GatewayDouble]]:
    """The double behind an httpx transport, with the Gateway the live checks take (its keys
    the double's, opaque ones included)."""
    double = GatewayDouble(target, breakage)
    keyed = target.replace(publishable_key=double.publishable_key, secret_key=double.secret_key,
                           dashboard_username=double.dashboard[0], dashboard_password=double.dashboard[1])
    try:
        with httpx.Client(transport=httpx.MockTransport(double.handle)) as client:
            yield Gateway(client, DOUBLE_URL, GatewayKeys.of(keyed)), double
    finally:
        double.close()


@contextlib.contextmanager
def serving(target: Target, breakage: Breakage | None = None) -> Iterator[Gateway]:
    with serving_double(target, breakage) as (gw, _):
        yield gw


def forge_for(target: Target, double: GatewayDouble, owner: uuid.UUID, other: uuid.UUID, attacker=None) -> Forge:
    """What an attacker holds against the double: the public keys, and the retired key."""
    return Forge(target.anon_key, target.service_role_key, target.jwt_secret, owner, other,
                 signer=double.signer, public_jwks=asymmetric.published_jwks(json.loads(target.jwt_keys or "[]")),
                 attacker=attacker, retired=double.retired)


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
