"""Pending order rows written in batches: one INSERT and one commit for every order that arrived
while the previous batch was on its way, instead of a round trip and a WAL flush per order.

`record(order, client_order_id)` returns once the row is committed (True), or False when this account
already used `client_order_id` (the row is the first order's; nothing was written). A batch that
fails as a whole is retried row by row, so one bad row refuses only its own request. At most
`max_batches_in_flight` batches run at once, each on its own pooled connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import orjson
import psycopg
from psycopg_pool import AsyncConnectionPool

from api import errors
from api.errors import ApiError
from matcher.commands import PlaceOrder

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# One JSON parameter for the whole batch: orjson encodes it in C and PostgreSQL unpacks it, where
# eleven array parameters cost more Python time to dump than the rest of the request. The intake time
# travels as integer microseconds and is rebuilt exactly (no float on the way).
_INSERT = """
INSERT INTO orders (order_id, account_id, client_order_id, symbol, side, order_type, time_in_force, price_ticks,
                    stop_price_ticks, quantity_lots, filled_lots, status, created_at, updated_at)
SELECT o.order_id, o.account_id, o.client_order_id, o.symbol, o.side, o.order_type, o.time_in_force, o.price_ticks,
       o.stop_price_ticks, o.quantity_lots, 0, 'pending', t.at, t.at
FROM json_to_recordset(%s::json) AS o(order_id text, account_id text, client_order_id text, symbol text, side text,
                                      order_type text, time_in_force text, price_ticks bigint,
                                      stop_price_ticks bigint, quantity_lots bigint, at_us bigint),
     LATERAL (SELECT timestamptz 'epoch' + o.at_us * interval '1 microsecond' AS at) AS t
ON CONFLICT DO NOTHING
RETURNING order_id
"""


def intake_time(ts_ns: int) -> datetime:
    """The intake time as PostgreSQL keeps it (whole microseconds), by integer arithmetic."""
    return _EPOCH + timedelta(microseconds=ts_ns // 1000)


def _rows(batch: list[tuple[PlaceOrder, str | None, asyncio.Future]]) -> str:
    return orjson.dumps([
        {"order_id": o.order_id, "account_id": o.account, "client_order_id": client_id, "symbol": o.symbol,
         "side": o.side, "order_type": o.order_type, "time_in_force": o.tif, "price_ticks": o.price,
         "stop_price_ticks": o.stop_price, "quantity_lots": o.qty, "at_us": o.ts_ns // 1000}
        for o, client_id, _ in batch]).decode()


class PendingOrders:
    def __init__(self, pool: AsyncConnectionPool, max_batches_in_flight: int = 4, max_batch: int = 500) -> None:
        self._pool, self._max_batch = pool, max_batch
        self._waiting: list[tuple[PlaceOrder, str | None, asyncio.Future]] = []
        self._slots = asyncio.Semaphore(max_batches_in_flight)
        self._tasks: set[asyncio.Task] = set()
        self._scheduled = False

    async def record(self, order: PlaceOrder, client_order_id: str | None) -> bool:
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((order, client_order_id, written))
        if not self._scheduled:
            self._scheduled = True
            task = asyncio.create_task(self._flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await written

    async def _flush(self) -> None:
        async with self._slots:
            # Everything that arrived until a slot was free goes in this batch; later arrivals start the next.
            self._scheduled = False
            batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
            if self._waiting and not self._scheduled:
                self._scheduled = True
                task = asyncio.create_task(self._flush())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if not batch:
                return
            try:
                await self._write(batch)
            finally:  # cancelled or broken beyond psycopg: nobody may wait for ever
                for _, _, written in batch:
                    _settle(written, exception=_unavailable())

    async def _write(self, batch: list) -> None:
        try:
            inserted = await self._insert(batch)
        except psycopg.Error:
            if len(batch) == 1:
                return  # `_flush` answers it as unavailable
            for item in batch:  # find the row that spoils the batch: each on its own
                try:
                    _settle(item[2], item[0].order_id in await self._insert([item]))
                except psycopg.Error:
                    pass
            return
        for order, _, written in batch:
            _settle(written, order.order_id in inserted)

    async def _insert(self, batch: list) -> set[str]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(_INSERT, (_rows(batch),), prepare=True)
            return {row["order_id"] for row in await cur.fetchall()}

    async def close(self) -> None:
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task


def _settle(written: asyncio.Future, result: bool | None = None, exception: Exception | None = None) -> None:
    if written.done():  # answered already, or its request went away
        return
    if exception is not None:
        written.set_exception(exception)
    else:
        written.set_result(result)


def _unavailable() -> ApiError:
    return ApiError(503, errors.SERVICE_UNAVAILABLE, "the order could not be recorded; retry",
                    headers={"Retry-After": "1"})
