"""Upstream's own smoke tests for self-hosted stacks (docker/tests/test-self-hosted.sh and
test-auth-keys.sh), check by check, as plain functions of a Gateway, so the conformance suite
(a real gateway) and the harness's tests (the double) run the same logic. The mapping from each
upstream check to its function is conformance/UPSTREAM.md.

Writes (a user, a bucket and its objects) are the harness's own, marked (users under
@spine-harness.invalid, buckets named spine-harness-<id>), and removed also after a failure.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import uuid
from collections.abc import Iterator

import httpx

from spine_harness.gateway.checks import Gateway, snippet
from spine_harness.keys import asymmetric, tokens
from spine_harness.rls.seed import MARK_DOMAIN

LARGE_OBJECT_BYTES = 7 * 1024 * 1024    # upstream's ~7 MB upload (above Studio's 6 MB TUS threshold)
SIGNED_TEXT = b"spine-harness signed url content"
# Each service answers through the gateway: (name, method, path, which key).
HEALTH_PROBES = (
    ("auth", "GET", "/auth/v1/health", "anon"),
    ("rest", "GET", "/rest/v1/", "service"),
    ("storage", "GET", "/storage/v1/status", None),
    ("realtime", "GET", "/realtime/v1/api/ping", "anon"),
    ("meta", "GET", "/pg/schemas", "service"),
)
BLOCKED_PATHS = ("/mcp", "/api/mcp", "/realtime/v1/api/tenants", "/realtime/v1/api/openapi")


def _key(gw: Gateway, which: str | None) -> str | None:
    return {"anon": gw.keys.anon_key, "service": gw.keys.service_role_key, None: None}[which]


def _expect(response: httpx.Response, status: int, what: str) -> None:
    __tracebackhide__ = True
    assert response.status_code == status, f"{what} -> {response.status_code} {snippet(response)}; expected {status}"


def check_service_answers(gw: Gateway, service: str) -> None:
    __tracebackhide__ = True
    name, method, path, which = next(p for p in HEALTH_PROBES if p[0] == service)
    _expect(gw.send(method, path, apikey=_key(gw, which)), 200, f"{name}: {method} {path}")


def check_studio(gw: Gateway, with_auth: bool) -> None:
    __tracebackhide__ = True
    if with_auth:
        user, password = gw.keys.dashboard
        response = gw.client.get(gw.base_url + "/", auth=(user, password), follow_redirects=True)
        _expect(response, 200, "Studio with the dashboard's basic-auth: GET /")
    else:
        _expect(gw.send("GET", "/"), 401, "Studio without credentials: GET /")


def check_pg_meta(gw: Gateway, which: str | None) -> None:
    __tracebackhide__ = True
    expected = {"service": 200, "anon": 403, None: 401}[which]
    _expect(gw.send("GET", "/pg/schemas", apikey=_key(gw, which)), expected,
            f"postgres-meta with {which or 'no'} key: GET /pg/schemas")


def check_blocked(gw: Gateway, path: str) -> None:
    __tracebackhide__ = True
    _expect(gw.send("GET", path, apikey=gw.keys.anon_key), 403, f"GET {path} with the anon key (must be blocked)")


def check_rest_answers(gw: Gateway) -> None:
    __tracebackhide__ = True
    _expect(gw.send("GET", "/rest/v1/", apikey=gw.keys.service_role_key, bearer=gw.keys.service_role_key), 200,
            "PostgREST's root with the service key: GET /rest/v1/")


def check_graphql_answers(gw: Gateway) -> None:
    """200 with `data` (pg_graphql on) or `errors` (off): both healthy; anything else is not."""
    __tracebackhide__ = True
    response = gw.send("POST", "/graphql/v1", apikey=gw.keys.anon_key, body={"query": "{ __typename }"})
    try:
        shaped = isinstance(body := response.json(), dict) and ("data" in body or "errors" in body)
    except ValueError:
        shaped = False
    assert response.status_code == 200 and shaped, (
        f"GraphQL: POST /graphql/v1 {{ __typename }} -> {response.status_code} {snippet(response)}; "
        "expected 200 with data or errors")


def check_legacy_hs256_accepted(gw: Gateway) -> None:
    """An HS256 token signed with the legacy secret stays valid under either model."""
    __tracebackhide__ = True
    token = tokens.mint_api_key(gw.keys.jwt_secret, "anon")
    _expect(gw.send("GET", "/rest/v1/", apikey=gw.keys.service_role_key, bearer=token), 200,
            "a fresh HS256 anon token (legacy secret) on GET /rest/v1/")


# --- the auth user lifecycle ------------------------------------------------------------------------

@contextlib.contextmanager
def marked_user(gw: Gateway) -> Iterator[tuple[str, str, str]]:
    """(id, email, password) of a user created through the admin API, deleted afterwards."""
    email, password = f"smoke-{uuid.uuid4().hex[:12]}@{MARK_DOMAIN}", secrets.token_urlsafe(24)
    service = gw.keys.service_role_key
    created = gw.send("POST", "/auth/v1/admin/users", apikey=service, bearer=service,
                      body={"email": email, "password": password, "email_confirm": True})
    _expect(created, 200, "create a marked user: POST /auth/v1/admin/users")
    uid = created.json()["id"]
    try:
        yield uid, email, password
    finally:
        gw.send("DELETE", f"/auth/v1/admin/users/{uid}", apikey=service, bearer=service)


def check_user_lifecycle(gw: Gateway) -> None:
    """Create (admin), sign in, read the profile with the session, the session token's alg and
    kid as the key model says, delete (admin)."""
    __tracebackhide__ = True
    service = gw.keys.service_role_key
    with marked_user(gw) as (uid, email, password):
        signed_in = gw.send("POST", "/auth/v1/token", apikey=gw.keys.anon_key, params={"grant_type": "password"},
                            body={"email": email, "password": password})
        _expect(signed_in, 200, "sign in: POST /auth/v1/token?grant_type=password")
        session = signed_in.json()["access_token"]
        try:
            asymmetric.check_session_header(session, gw.keys.signer)
        except tokens.SecretRejected as exc:
            raise AssertionError(str(exc)) from None
        profile = gw.send("GET", "/auth/v1/user", apikey=gw.keys.anon_key, bearer=session)
        _expect(profile, 200, "the profile with the session token: GET /auth/v1/user")
        assert profile.json().get("id") == uid, "GET /auth/v1/user answered another user's profile"
        deleted = gw.send("DELETE", f"/auth/v1/admin/users/{uid}", apikey=service, bearer=service)
        _expect(deleted, 200, "delete the user: DELETE /auth/v1/admin/users/<id>")


# --- Storage ------------------------------------------------------------------------------------------

@contextlib.contextmanager
def marked_bucket(gw: Gateway) -> Iterator[str]:
    name, service = f"spine-harness-{uuid.uuid4().hex[:12]}", gw.keys.service_role_key
    created = gw.send("POST", "/storage/v1/bucket", apikey=service, bearer=service,
                      body={"id": name, "name": name, "public": True})
    _expect(created, 200, "create a marked public bucket: POST /storage/v1/bucket")
    try:
        yield name
    finally:
        for obj in ("large.bin", "signed.txt"):
            gw.send("DELETE", f"/storage/v1/object/{name}/{obj}", apikey=service, bearer=service)
        gw.send("DELETE", f"/storage/v1/bucket/{name}", apikey=service, bearer=service)


def _upload(gw: Gateway, bucket: str, name: str, data: bytes) -> None:
    __tracebackhide__ = True
    service = gw.keys.service_role_key
    response = gw.client.post(f"{gw.base_url}/storage/v1/object/{bucket}/{name}", content=data,
                              headers={"apikey": service, "Authorization": f"Bearer {service}",
                                       "Content-Type": "application/octet-stream"})
    _expect(response, 200, f"upload {len(data)} bytes: POST /storage/v1/object/<bucket>/{name}")


def check_large_object_round_trip(gw: Gateway) -> None:
    __tracebackhide__ = True
    data = os.urandom(LARGE_OBJECT_BYTES)
    with marked_bucket(gw) as bucket:
        _upload(gw, bucket, "large.bin", data)
        response = gw.client.get(f"{gw.base_url}/storage/v1/object/public/{bucket}/large.bin")
        _expect(response, 200, "download: GET /storage/v1/object/public/<bucket>/large.bin")
        assert hashlib.sha256(response.content).digest() == hashlib.sha256(data).digest(), (
            f"the 7 MB object came back as {len(response.content)} bytes that differ from what was uploaded")


def check_signed_url_without_auth(gw: Gateway) -> None:
    __tracebackhide__ = True
    service = gw.keys.service_role_key
    with marked_bucket(gw) as bucket:
        _upload(gw, bucket, "signed.txt", SIGNED_TEXT)
        signed = gw.send("POST", f"/storage/v1/object/sign/{bucket}/signed.txt", apikey=service, bearer=service,
                         body={"expiresIn": 600})
        _expect(signed, 200, "sign a URL: POST /storage/v1/object/sign/<bucket>/signed.txt")
        url = signed.json().get("signedURL") or signed.json().get("signedUrl")
        response = gw.client.get(gw.base_url + "/storage/v1" + url)
        _expect(response, 200, "fetch the signed URL with no key and no bearer")
        assert response.content == SIGNED_TEXT, "the signed URL answered other content"
