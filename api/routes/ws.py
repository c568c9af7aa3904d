"""`/ws`: live channels relayed from Redis pub/sub.

Client -> server (JSON text): `{"op": "subscribe", "channels": ["trades:BTC-USDT", "orders"]}`,
`{"op": "unsubscribe", "channels": [...]}`, `{"op": "auth", "token": "<JWT>"}` (or `/ws?token=`),
`{"op": "ping"}`. Server -> client: `{"channel": "trades:BTC-USDT", "data": <event>}` for each relayed
message, and `{"type": "subscribed" | "unsubscribed" | "pong" | "error", ...}` answers.

Channels: `prices:SYM`, `trades:SYM`, `book:SYM` (public) and `orders` (your own order updates; needs
auth). A client whose queue fills (`ws_queue_size` messages it has not read) is closed with 1013: it
resubscribes and resynchronises from the REST snapshot rather than slowing everyone else down. So is
one that stops reading altogether: a send that waits on its socket longer than `SEND_TIMEOUT_S` ends
its session (each client has its own sender, so nobody else ever waits on it).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Mapping

import jwt
import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.fanout import Subscriber
from api.runtime import Runtime
from api.security import Principal, read_token
from connectors.redis import keys
from matcher.symbols import SymbolSpec

router = APIRouter(tags=["websocket"])
PUBLIC = {"prices": keys.prices_channel, "trades": keys.trades_channel, "book": keys.book_channel}
MAX_CHANNELS = 64
SLOW_CONSUMER = 1013
SEND_TIMEOUT_S = 5.0  # a client whose socket takes no message for this long is dropped
CLOSE_TIMEOUT_S = 1.0  # closing politely needs the same socket; do not wait on it for long


class SlowConsumer(Exception):
    """The client did not take a message within the send timeout."""


def redis_channel(name: str, listing: Mapping[str, SymbolSpec], principal: Principal | None) -> str:
    """The Redis channel behind a client channel name; ValueError saying why when there is none."""
    if name == "orders":
        if principal is None:
            raise ValueError("authenticate first to follow your orders")
        return keys.orders_channel(principal.account_id)
    kind, _, symbol = name.partition(":")
    if kind not in PUBLIC or symbol not in listing:
        raise ValueError(f"unknown channel {name[:64]!r}")
    return PUBLIC[kind](symbol)


class Session:
    """One websocket client: its principal, its subscriptions and its queue."""

    def __init__(self, ws: WebSocket, runtime: Runtime, principal: Principal | None,
                 send_timeout_s: float = SEND_TIMEOUT_S) -> None:
        self.ws, self.runtime, self.principal = ws, runtime, principal
        self.subscriber = Subscriber(runtime.settings.ws_queue_size)
        self.names: dict[str, str] = {}  # redis channel -> client channel name
        self.send_timeout_s = send_timeout_s

    async def send(self, text: str) -> None:
        """Raises `SlowConsumer` when the client's socket does not take `text` in time."""
        try:
            await asyncio.wait_for(self.ws.send_text(text), self.send_timeout_s)
        except TimeoutError:
            raise SlowConsumer(f"no message taken in {self.send_timeout_s}s") from None

    async def reply(self, **message) -> None:
        await self.send(orjson.dumps(message).decode())

    async def handle(self, raw: str) -> None:
        try:
            request = orjson.loads(raw)
            op = request.get("op") if isinstance(request, dict) else None
        except orjson.JSONDecodeError:
            op = None
        if op == "ping":
            return await self.reply(type="pong")
        if op == "auth":
            try:
                self.principal = read_token(self.runtime.settings.secret_key, str(request.get("token", "")))
            except jwt.PyJWTError:
                return await self.reply(type="error", code="UNAUTHORIZED", message="invalid or expired token")
            return await self.reply(type="authenticated")
        if op not in ("subscribe", "unsubscribe") or not isinstance(request.get("channels"), list):
            return await self.reply(type="error", code="BAD_REQUEST",
                                    message='send {"op": "subscribe"|"unsubscribe", "channels": [...]}')
        done = []
        for name in request["channels"][:MAX_CHANNELS]:
            try:
                channel = redis_channel(str(name), self.runtime.listing, self.principal)
            except ValueError as exc:
                await self.reply(type="error", code="BAD_CHANNEL", message=str(exc))
                continue
            if op == "subscribe" and channel not in self.names:
                if len(self.names) >= MAX_CHANNELS:
                    await self.reply(type="error", code="TOO_MANY_CHANNELS", message=f"at most {MAX_CHANNELS}")
                    break
                self.names[channel] = str(name)
                await self.runtime.fanout.subscribe(channel, self.subscriber)
            elif op == "unsubscribe" and channel in self.names:
                del self.names[channel]
                await self.runtime.fanout.unsubscribe(channel, self.subscriber)
            done.append(str(name))
        await self.reply(type=f"{op}d", channels=done)

    async def receive_loop(self) -> None:
        while True:
            await self.handle(await self.ws.receive_text())

    async def relay_loop(self) -> None:
        while True:
            channel, data = await self.subscriber.queue.get()
            name = self.names.get(channel)
            if name is not None:
                await self.send(f'{{"channel":"{name}","data":{data}}}')

    async def close(self) -> None:
        for channel in list(self.names):
            await self.runtime.fanout.unsubscribe(channel, self.subscriber)
        self.names.clear()


@router.websocket("/ws")
async def websocket(ws: WebSocket) -> None:
    runtime: Runtime = ws.app.state.runtime
    principal = None
    token = ws.query_params.get("token")
    if token:
        try:
            principal = read_token(runtime.settings.secret_key, token)
        except jwt.PyJWTError:
            await ws.close(code=1008, reason="invalid or expired token")
            return
    await ws.accept()
    session = Session(ws, runtime, principal)
    tasks = [asyncio.create_task(session.receive_loop()), asyncio.create_task(session.relay_loop()),
             asyncio.create_task(session.subscriber.overflowed.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stalled = any(not task.cancelled() and isinstance(task.exception(), SlowConsumer) for task in done)
        if stalled or tasks[2] in done:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=SLOW_CONSUMER, reason="too slow: messages were dropped;"
                                                " resubscribe"), CLOSE_TIMEOUT_S)
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await session.close()
