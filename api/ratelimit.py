"""Rate limits as fixed-window counters in Redis, shared by every API process.

One Lua call per check: INCR the window's counter, set its expiry on the first hit, and answer how
many milliseconds remain when the limit is exceeded (0 = allowed). Keys (API-owned, beside
`connectors/redis/keys.py`): `rl:{scope}:{identity}`, expiring with their window.
"""

from __future__ import annotations

import math

from redis.asyncio import Redis

from api.errors import RATE_LIMITED, ApiError

_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
  return ttl
end
return 0
"""


def bucket_key(scope: str, identity: str) -> str:
    return f"rl:{scope}:{identity}"


class RateLimiter:
    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_WINDOW)

    async def retry_after_ms(self, scope: str, identity: str, limit: int, window_ms: int) -> int:
        """0 when this hit is within `limit` per `window_ms`; otherwise ms until the window resets."""
        return int(await self._script(keys=[bucket_key(scope, identity)], args=[window_ms, limit]))

    async def enforce(self, scope: str, identity: str, limit: int, window_ms: int) -> None:
        wait_ms = await self.retry_after_ms(scope, identity, limit, window_ms)
        if wait_ms:
            raise too_many(scope, limit, window_ms, wait_ms)


def too_many(scope: str, limit: int, window_ms: int, wait_ms: int) -> ApiError:
    retry_after = str(max(1, math.ceil(wait_ms / 1000)))
    return ApiError(429, RATE_LIMITED, f"{scope} limit of {limit} per {window_ms // 1000 or 1}s exceeded",
                    headers={"Retry-After": retry_after})
