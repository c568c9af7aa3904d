"""Rate limits as fixed-window counters in Redis, shared by every API process.

One Lua call per request however many buckets it counts against: for each bucket in order, INCR the
window's counter, set its expiry on the first hit, and stop at the first bucket over its limit,
answering which one and how many milliseconds remain (buckets after it are not counted). Keys:
`connectors.redis.keys.rate_limit_bucket` (`rl:{scope}:{identity}`), expiring with their window.

The checks of concurrent requests travel together: each waits on a future, and one task sends every
check queued so far as one pipeline (one connection checkout, one write, one read) while the next
batch gathers. Under load that is most of the per-request cost of a Redis client.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from api.errors import RATE_LIMITED, ApiError
from api.security import Principal
from connectors.redis.keys import rate_limit_bucket

_WINDOWS = """
for i, key in ipairs(KEYS) do
  local window, limit = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, window) end
  if n > limit then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then redis.call('PEXPIRE', key, window); ttl = window end
    return {i, ttl}
  end
end
return {0, 0}
"""


ORDER_LIMIT_COUNTED = "order_limit_counted"  # scope state: the perimeter already counted the orders bucket


@dataclass(frozen=True, slots=True)
class Bucket:
    scope: str  # "req" (general, per minute) or "orders" (per second)
    identity: str
    limit: int
    window_ms: int


def order_bucket(principal: Principal, default_per_s: int) -> Bucket:
    """Place, cancel and amend per account per second (the user's override, else the default)."""
    return Bucket("orders", principal.account_id, principal.orders_per_s or default_per_s, 1_000)


class RateLimiter:
    def __init__(self, redis: Redis, max_batch: int = 256) -> None:
        self._redis, self._max_batch = redis, max_batch
        self._script = redis.register_script(_WINDOWS)
        self._queued: list[tuple[list[str], list[int], asyncio.Future]] = []
        self._sending = False

    async def first_exceeded(self, *buckets: Bucket) -> tuple[Bucket | None, int]:
        """Count this hit against `buckets`; (None, 0) when all allow it, else the refusing bucket and
        the ms until its window resets."""
        args: list[int] = []
        for bucket in buckets:
            args += (bucket.window_ms, bucket.limit)
        answer = asyncio.get_running_loop().create_future()
        self._queued.append(([rate_limit_bucket(b.scope, b.identity) for b in buckets], args, answer))
        if not self._sending:
            self._sending = True
            asyncio.get_running_loop().create_task(self._send())
        index, wait_ms = await answer
        return (None, 0) if index == 0 else (buckets[int(index) - 1], int(wait_ms))

    async def _send(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued[:self._max_batch], self._queued[self._max_batch:]
                try:
                    results = await self._run(batch)
                except Exception as exc:  # Redis unreachable: every request of the batch learns it
                    results = [exc] * len(batch)
                for (_, _, answer), result in zip(batch, results):
                    if answer.done():
                        continue
                    if isinstance(result, Exception):
                        answer.set_exception(result)
                    else:
                        answer.set_result(result)
        finally:
            self._sending = False

    async def _run(self, batch: list) -> list:
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, args, _ in batch:
                pipe.evalsha(self._script.sha, len(keys), *keys, *args)
            results = await pipe.execute(raise_on_error=False)
        if any(isinstance(result, NoScriptError) for result in results):  # a restarted or flushed Redis
            results = [await self._script(keys=keys, args=args) for keys, args, _ in batch]
        return results

    async def retry_after_ms(self, scope: str, identity: str, limit: int, window_ms: int) -> int:
        """0 when this hit is within `limit` per `window_ms`; otherwise ms until the window resets."""
        return (await self.first_exceeded(Bucket(scope, identity, limit, window_ms)))[1]

    async def enforce(self, *buckets: Bucket) -> None:
        refused, wait_ms = await self.first_exceeded(*buckets)
        if refused is not None:
            raise too_many(refused, wait_ms)


def too_many(bucket: Bucket, wait_ms: int) -> ApiError:
    retry_after = str(max(1, math.ceil(wait_ms / 1000)))
    if bucket.scope == "req":
        message = f"more than {bucket.limit} requests per minute"
    else:
        message = f"{bucket.scope} limit of {bucket.limit} per {bucket.window_ms // 1000 or 1}s exceeded"
    return ApiError(429, RATE_LIMITED, message, headers={"Retry-After": retry_after})
