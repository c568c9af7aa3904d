"""Redis clients built from `RedisSettings`; decoded strings, short timeouts so a dead server shows fast."""

from __future__ import annotations

import redis

from connectors.settings import RedisSettings


def make_redis(settings: RedisSettings, *, timeout_s: float = 2.0) -> redis.Redis:
    return redis.Redis(
        host=settings.host,
        port=settings.port,
        db=settings.db,
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
    )
