"""Rate limits as fixed-window counters in Redis, shared by every API process.

A check counts one request against its buckets: for each bucket in order, INCR the window's counter,
set its expiry on the first hit, and stop at the first bucket over its limit, answering which one and
how many milliseconds remain (buckets after it are not counted). Keys:
`connectors.redis.keys.rate_limit_bucket` (`rl:{scope}:{identity}`), expiring with their window.

The checks of concurrent requests travel together: each waits on a future, and one task sends every
check queued so far as one script call (a few arguments to encode, one string of answers to parse)
while the next batch gathers. Under load that is most of the per-request cost of a Redis client. A
Redis error (unreachable, or the script failing) fails every check of the batch it hit.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from redis.asyncio import Redis

from api.errors import RATE_LIMITED, ApiError
from api.security import Principal
from connectors.redis.keys import rate_limit_bucket

# KEYS: the distinct bucket keys of a batch of checks. ARGV[1]: the checks as space-separated
# integers, per check its bucket count, then per bucket its key's index in KEYS, its window (ms) and
# its limit. Answers one string of two integers per check: the refusing bucket's 1-based index (0:
# allowed) and the ms left in its window. Text both ways: redis-py encodes and parses every argument
# and answer element in Python, which for hundreds of them costs more than the whole check.
_CHECKS = """
local nums, answers = {}, {}
for x in string.gmatch(ARGV[1], '%d+') do nums[#nums + 1] = tonumber(x) end
local a = 1
while a <= #nums do
  local n, refused, ttl = nums[a], 0, 0
  for i = 1, n do
    if refused == 0 then
      local b = a + 3 * i - 2
      local key, window, limit = KEYS[nums[b]], nums[b + 1], nums[b + 2]
      local count = redis.call('INCR', key)
      if count == 1 then redis.call('PEXPIRE', key, window) end
      if count > limit then
        ttl = redis.call('PTTL', key)
        if ttl < 0 then redis.call('PEXPIRE', key, window); ttl = window end
        refused = i
      end
    end
  end
  answers[#answers + 1] = refused .. ' ' .. ttl
  a = a + 3 * n + 1
end
return table.concat(answers, ' ')
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
        self._script = redis.register_script(_CHECKS)
        self._queued: list[tuple[tuple[Bucket, ...], asyncio.Future]] = []
        self._sending = False

    async def first_exceeded(self, *buckets: Bucket) -> tuple[Bucket | None, int]:
        """Count this hit against `buckets`; (None, 0) when all allow it, else the refusing bucket and
        the ms until its window resets."""
        answer = asyncio.get_running_loop().create_future()
        self._queued.append((buckets, answer))
        if not self._sending:
            self._sending = True
            asyncio.get_running_loop().create_task(self._send())
        index, wait_ms = await answer
        return (None, 0) if index == 0 else (buckets[index - 1], wait_ms)

    async def _send(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued[:self._max_batch], self._queued[self._max_batch:]
                try:
                    answers = (await self._run(batch)).split()
                except Exception as exc:  # every request of the batch learns it
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for i, (_, answer) in enumerate(batch):
                    if not answer.done():
                        answer.set_result((int(answers[2 * i]), int(answers[2 * i + 1])))
        finally:
            self._sending = False

    async def _run(self, batch: list) -> str:
        slots: dict[str, int] = {}  # key -> its 1-based index in KEYS
        checks: list[str] = []
        for buckets, _ in batch:
            checks.append(str(len(buckets)))
            for b in buckets:
                slot = slots.setdefault(rate_limit_bucket(b.scope, b.identity), len(slots) + 1)
                checks.append(f"{slot} {b.window_ms} {b.limit}")
        # EVALSHA, loading the script if Redis lost it
        return await self._script(keys=list(slots), args=[" ".join(checks)])

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
