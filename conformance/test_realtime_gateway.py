"""Realtime through the gateway with the official client: a private channel joined with
`private: true` over a real websocket, for each written receive cell. Allowed joins are
subscribed; refused joins are told so (CHANNEL_ERROR). Needs a gateway with Realtime behind it."""
from __future__ import annotations

import asyncio

import pytest

from spine_harness.keys import tokens
from spine_harness.realtime import expectations as realtime_expectations
from spine_harness.realtime.join import topic_for

pytestmark = pytest.mark.needs("database", "gateway")

JOINS = [c for c in realtime_expectations.load() if c.action == "receive" and c.extension == "broadcast"]
JOIN_TIMEOUT_S = 10


async def join(url: str, apikey: str, bearer: str, topic: str) -> str:
    from realtime import AsyncRealtimeClient      # the `client` extra
    rt = AsyncRealtimeClient(url, token=apikey, auto_reconnect=False, max_retries=1)
    states: asyncio.Queue = asyncio.Queue()
    try:
        await rt.connect()
        await rt.set_auth(bearer)
        channel = rt.channel(topic, {"config": {"private": True, "broadcast": {"self": True}}})
        await channel.subscribe(lambda state, err: states.put_nowait(state.value))
        return await asyncio.wait_for(states.get(), JOIN_TIMEOUT_S)
    except asyncio.TimeoutError:
        return "no answer"
    finally:
        await rt.close()


@pytest.mark.parametrize("cell", JOINS, ids=lambda c: c.id)
def test_private_join(cell, spine, seed_rows):
    if not spine.jwt_secret and cell.actor in ("owner", "other"):
        pytest.skip("minting user tokens needs the deployment's JWT secret (SPINE_JWT_SECRET)")
    bearer = {"anon": spine.anon_key, "service_role": spine.service_role_key}.get(cell.actor) or \
        tokens.mint_user_token(spine.jwt_secret, seed_rows.users[cell.actor], ttl_s=300)
    ws = spine.gateway_url.replace("http", "ws", 1) + "/realtime/v1"
    state = asyncio.run(join(ws, spine.anon_key, bearer, topic_for(cell.topic, seed_rows.users)))
    want = "SUBSCRIBED" if cell.allowed else "CHANNEL_ERROR"
    assert state == want, f"{cell.actor} joining private {cell.topic}: expected {want}, got {state}"
