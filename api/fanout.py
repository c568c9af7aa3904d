"""Redis pub/sub fan-out: one subscription connection per API process, shared by every websocket
client and every `wait=true` order, so clients cost a queue each rather than a Redis connection.

A `Subscriber` has a bounded queue. Delivery never waits: when a subscriber's queue is full it is
marked `overflowed` and gets no more messages, and its owner drops it. A slow client loses its own
feed; it cannot stall the reader loop or anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis

log = logging.getLogger(__name__)


class Subscriber:
    def __init__(self, max_queued: int) -> None:
        self.queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(max_queued)
        self.overflowed = asyncio.Event()

    def offer(self, channel: str, data: str) -> None:
        if self.overflowed.is_set():
            return
        try:
            self.queue.put_nowait((channel, data))
        except asyncio.QueueFull:
            self.overflowed.set()


class Fanout:
    def __init__(self, redis: Redis) -> None:
        self._pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="fanout-reader")

    async def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        """Returns once Redis has been asked to deliver `channel` (the SUBSCRIBE is on the wire)."""
        async with self._lock:
            members = self._subscribers.setdefault(channel, set())
            if not members:
                await self._pubsub.subscribe(channel)
            members.add(subscriber)

    async def unsubscribe(self, channel: str, subscriber: Subscriber) -> None:
        async with self._lock:
            members = self._subscribers.get(channel)
            if members is None or subscriber not in members:
                return
            members.discard(subscriber)
            if not members:
                del self._subscribers[channel]
                await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped connection: redis-py resubscribes on the next read
                log.exception("pub/sub read failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel, data = message["channel"], message["data"]
            for subscriber in tuple(self._subscribers.get(channel, ())):
                subscriber.offer(channel, data)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
