"""Storage through the gateway with the official client (storage3, as supabase-py uses it): the
written cells that the Storage API serves for a signed-in user and for anon, plus signed URLs,
one minted past its expiry refused. Needs a gateway with Storage behind it (compose, remote)."""
from __future__ import annotations

import secrets
import time

import httpx
import jwt
import pytest

from spine_harness.keys import tokens
from spine_harness.storage import expectations as storage_expectations

pytestmark = pytest.mark.needs("database", "gateway")

EXPECTATIONS = storage_expectations.load()
PRIVATE = [b for b in EXPECTATIONS.buckets.values() if not b.public]


def client(spine, bearer: str):
    from storage3 import SyncStorageClient     # the `client` extra
    return SyncStorageClient(f"{spine.gateway_url}/storage/v1",
                             {"apikey": spine.anon_key, "Authorization": f"Bearer {bearer}"})


def user_token(spine, seed_rows, actor: str) -> str:
    if not spine.jwt_secret:
        pytest.skip("minting user tokens needs the deployment's JWT secret (SPINE_JWT_SECRET)")
    return tokens.mint_user_token(spine.jwt_secret, seed_rows.users[actor], ttl_s=300)


def sample_bytes(bucket) -> tuple[bytes, str]:
    mime = (bucket.allowed_mime_types or ("application/octet-stream",))[0]
    return b"%PDF-1.4 spine-harness\n" if mime == "application/pdf" else b"\x89PNG\r\n\x1a\nspine", mime


def refused(call) -> bool:
    from storage3.exceptions import StorageApiError
    try:
        call()
    except StorageApiError:
        return True
    return False


@pytest.mark.parametrize("bucket", PRIVATE, ids=lambda b: b.id)
def test_owner_round_trip_and_others_refused(bucket, spine, seed_rows):
    """Upload, download and a signed URL for the owner; another user and anon neither read nor
    write there; a signed URL whose expiry has passed is refused."""
    owner = client(spine, user_token(spine, seed_rows, "owner"))
    other = client(spine, user_token(spine, seed_rows, "other"))
    anon = client(spine, spine.anon_key)
    body, mime = sample_bytes(bucket)
    path = f"{seed_rows.users['owner']}/spine-harness-{seed_rows.run_id}-{secrets.token_hex(3)}-{bucket.sample}"
    owner.from_(bucket.id).upload(path, body, {"content-type": mime})
    try:
        assert owner.from_(bucket.id).download(path) == body, f"owner download of {bucket.id}/{path} differs"
        signed = owner.from_(bucket.id).create_signed_url(path, 60)
        url = signed.get("signedURL") or signed.get("signedUrl")
        assert httpx.get(url, timeout=10).status_code == 200, "a fresh signed URL was not served"
        for who, c in (("other", other), ("anon", anon)):
            assert refused(lambda: c.from_(bucket.id).download(path)), f"{who} downloaded {bucket.id}/{path}"
            assert refused(lambda: c.from_(bucket.id).upload(
                f"{seed_rows.users['owner']}/spine-harness-{seed_rows.run_id}-{who}", body, {"content-type": mime})), (
                f"{who} uploaded into the owner's folder of {bucket.id}")
        # A signed URL is a JWT over the object's path signed with the JWT secret: mint one that
        # expired a minute ago instead of waiting for a real one to lapse.
        token = url.split("token=", 1)[1].split("&", 1)[0]
        claims = jwt.decode(token, options={"verify_signature": False})
        stale = jwt.encode({**claims, "iat": int(time.time()) - 120, "exp": int(time.time()) - 60},
                           spine.jwt_secret, algorithm="HS256")
        expired = url.replace(token, stale)
        assert httpx.get(expired, timeout=10).status_code in (400, 401, 403), "an expired signed URL was served"
    finally:
        client(spine, spine.service_role_key).from_(bucket.id).remove([path])
