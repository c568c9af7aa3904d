"""`/ws`: live channels relayed from Redis pub/sub.

Client -> server (JSON text): `{"op": "subscribe", "channels": ["trades:BTC-USDT", "orders"]}`,
`{"op": "unsubscribe", "channels": [...]}`, `{"op": "auth", "token": "<JWT>"}` (or `/ws?token=`),
`{"op": "ping"}`. Server -> client: `{"channel": "trades:BTC-USDT", "data": <event>}` for each relayed
message, and `{"type": "subscribed" | "unsubscribed" | "pong" | "error", ...}` answers.

Channels: `prices:SYM`, `trades:SYM`, `book:SYM` (public) and `orders` (your own order updates; needs
auth). A client whose queue fills (`ws_queue_size` messages it has not read) is closed with 1013: it
resubscribes and resynchronises from the REST snapshot rather than slowing everyone else down.
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

    def __init__(self, ws: WebSocket, runtime: Runtime, principal: Principal | None) -> None:
        self.ws, self.runtime, self.principal = ws, runtime, principal
        self.subscriber = Subscriber(runtime.settings.ws_queue_size)
        self.names: dict[str, str] = {}  # redis channel -> client channel name

    async def reply(self, **message) -> None:
        await self.ws.send_text(orjson.dumps(message).decode())

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
                await self.ws.send_text(f'{{"channel":"{name}","data":{data}}}')

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
        if tasks[2] in done:
            await ws.close(code=SLOW_CONSUMER, reason="too slow: messages were dropped; resubscribe")
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await session.close()
