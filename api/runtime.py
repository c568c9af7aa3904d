"""What a running API process holds: settings, the listing, and its clients to PostgreSQL, Redis and
Kafka. Built once by the app's lifespan and handed to routes through `api.deps`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import BlockingConnectionPool, Redis

from api.fanout import Fanout
from api.intake import CommandIntake
from api.pending import PendingOrders
from api.ratelimit import RateLimiter
from connectors.settings import ApiSettings, KafkaSettings, PostgresSettings, RedisSettings
from matcher.symbols import SymbolSpec


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: ApiSettings
    listing: Mapping[str, SymbolSpec]
    assets: Mapping[str, int]  # asset -> decimal places
    pool: AsyncConnectionPool
    redis: Redis
    limiter: RateLimiter
    intake: CommandIntake
    fanout: Fanout
    pending: PendingOrders


def make_redis(settings: RedisSettings) -> Redis:
    # A blocking pool: a burst waits for a free connection instead of failing with "too many".
    pool = BlockingConnectionPool(host=settings.host, port=settings.port, db=settings.db, decode_responses=True,
                                  socket_timeout=5, socket_connect_timeout=2, max_connections=64, timeout=5)
    return Redis(connection_pool=pool)


async def open_pool(settings: PostgresSettings) -> AsyncConnectionPool:
    # Autocommit: every statement stands alone, so nothing is held open across a Kafka round trip.
    pool = AsyncConnectionPool(settings.conninfo, min_size=settings.pool_min_size,
                               max_size=max(settings.pool_max_size, 4), open=False, name="api",
                               kwargs={"autocommit": True, "row_factory": dict_row})
    await pool.open(wait=True, timeout=10)
    return pool


def open_intake(settings: KafkaSettings) -> CommandIntake:
    return CommandIntake(settings)
