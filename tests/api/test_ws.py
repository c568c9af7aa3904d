"""`/ws` relays Redis channels: public market channels, your own `orders`, and slow clients dropped.

Market channels are relayed from the real projection in the journey test; here only test users' own
`orders` channels are published to by hand, so no live feed ever carries a made-up event."""

from __future__ import annotations

import asyncio
import json
import time

import orjson
import pytest
import websockets

from connectors.redis.client import make_redis
from connectors.redis.keys import orders_channel, trades_channel


def _ws_url(api_server, token: str | None = None) -> str:
    url = api_server.url.replace("http://", "ws://") + "/ws"
    return f"{url}?token={token}" if token else url


async def _next_relay(ws, timeout_s: float = 5.0) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout_s))
        if "channel" in message:
            return message


def test_orders_channel_needs_auth_and_carries_only_your_own(stack, api_server, alice, bob):
    async def scenario():
        async with websockets.connect(_ws_url(api_server)) as anonymous:
            await anonymous.send('{"op": "subscribe", "channels": ["orders"]}')
            assert json.loads(await anonymous.recv())["code"] == "BAD_CHANNEL"
        async with websockets.connect(_ws_url(api_server, alice.token)) as ws:
            await ws.send('{"op": "subscribe", "channels": ["orders"]}')
            assert json.loads(await ws.recv())["type"] == "subscribed"
            redis = make_redis(stack.redis)
            redis.publish(orders_channel(bob.account_id), b'{"type": "accepted", "order_id": "bobs"}')
            redis.publish(orders_channel(alice.account_id), b'{"type": "accepted", "order_id": "alices"}')
            assert (await _next_relay(ws))["data"]["order_id"] == "alices"

    asyncio.run(scenario())


def test_bad_token_and_bad_channels_are_refused(api_server):
    async def scenario():
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(_ws_url(api_server, "not-a-token")):
                pass
        async with websockets.connect(_ws_url(api_server)) as ws:
            await ws.send('{"op": "subscribe", "channels": ["trades:NOPE", "secrets"]}')
            assert json.loads(await ws.recv())["code"] == "BAD_CHANNEL"
            assert json.loads(await ws.recv())["code"] == "BAD_CHANNEL"
            assert json.loads(await ws.recv()) == {"type": "subscribed", "channels": []}
            await ws.send("not json")
            assert json.loads(await ws.recv())["code"] == "BAD_REQUEST"

    asyncio.run(scenario())


def test_fanout_marks_a_full_subscriber_overflowed_and_keeps_feeding_the_others(stack):
    """The drop decision on the real Redis pub/sub: a subscriber that does not drain its queue is
    marked overflowed (the websocket then closes it with 1013) while another gets every message."""
    from api.fanout import Fanout, Subscriber
    from api.runtime import make_redis as make_async_redis

    async def scenario():
        redis = make_async_redis(stack.redis)
        fanout = Fanout(redis)
        fanout.start()
        fast, slow = Subscriber(max_queued=1000), Subscriber(max_queued=5)
        for subscriber in (fast, slow):
            await fanout.subscribe("ws:trades:FANOUT-TEST", subscriber)
        for n in range(50):
            await redis.publish("ws:trades:FANOUT-TEST", str(n))
        got = [await asyncio.wait_for(fast.queue.get(), 5) for _ in range(50)]
        await fanout.close()
        await redis.aclose()
        return got, slow

    got, slow = asyncio.run(scenario())
    assert [data for _, data in got] == [str(n) for n in range(50)]
    assert slow.overflowed.is_set() and slow.queue.qsize() == 5


def test_a_client_that_stops_reading_is_dropped_after_the_send_timeout_and_stalls_no_one(stack, pipeline):
    """Two clients follow the same channel; one stops reading. Large messages fill its socket, its
    send times out and its session ends, while the other gets every message at once. (The channel is
    the sandbox's own symbol: no live feed carries the filler.)"""
    from api.routes.ws import SEND_TIMEOUT_S

    channel, redis_channel = f"trades:{pipeline.spec.symbol}", trades_channel(pipeline.spec.symbol)
    filler = orjson.dumps("x" * 100_000)
    count = 200  # 20 MB: more than the socket buffers of a client that reads nothing
    redis = make_redis(stack.redis)

    async def scenario():
        kwargs = {"max_size": None, "max_queue": 4}  # the stalled client stops taking data after 4 messages
        async with websockets.connect(_ws_url(pipeline.server), **kwargs) as stalled, \
                websockets.connect(_ws_url(pipeline.server), **kwargs) as reading:
            for ws in (stalled, reading):
                await ws.send(orjson.dumps({"op": "subscribe", "channels": [channel]}).decode())
                assert json.loads(await ws.recv())["type"] == "subscribed"
            loop = asyncio.get_running_loop()
            started = loop.time()
            for _ in range(count):
                await asyncio.to_thread(redis.publish, redis_channel, filler)
            for _ in range(count):
                assert (await _next_relay(reading))["channel"] == channel
            assert loop.time() - started < SEND_TIMEOUT_S  # nobody waited on the stalled client
        return started

    asyncio.run(scenario())
    deadline = time.monotonic() + SEND_TIMEOUT_S + 10
    while redis.pubsub_numsub(redis_channel)[0][1] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert redis.pubsub_numsub(redis_channel)[0][1] == 0  # both sessions gone: the stalled one was dropped
