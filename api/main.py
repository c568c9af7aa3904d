"""The FastAPI application: `create_app(settings)` wires routers, middleware and the process's clients.

In front of FastAPI, the order-entry fast path (`api.order_entry`) answers bearer-authenticated
`POST /api/v1/orders` and does the perimeter's work itself. The perimeter middleware, outermost first:
security headers, CORS, body size limit (413), general rate limit (429).
Everything is under `/api/v1`, the websocket at `/ws`, OpenAPI at `/docs` and `/openapi.json`.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api import errors
from api.fanout import Fanout
from api.order_entry import OrderEntry
from api.pending import PendingOrders
from api.perimeter import BodyLimit, CrossOrigin, GeneralRateLimit, SecurityHeaders, VerifiedTokens
from api.ratelimit import RateLimiter
from api.routes import auth, keys, market, orders, wallets, ws
from api.runtime import Runtime, make_redis, open_intake, open_pool
from api.schemas.common import ERROR_RESPONSES
from connectors.listing import ListingSettings, asset_decimals, load_listing
from connectors.settings import ApiSettings, KafkaSettings, PostgresSettings, RedisSettings, load


def create_app(settings: ApiSettings | None = None) -> OrderEntry:
    """The ASGI app: the FastAPI app (its `.app`) behind the order-entry fast path. With no argument
    every setting comes from the environment (uvicorn --factory)."""
    settings = settings or load(ApiSettings)
    listing = load_listing(load(ListingSettings))
    redis = make_redis(load(RedisSettings))
    limiter = RateLimiter(redis)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = await open_pool(load(PostgresSettings))
        intake = open_intake(load(KafkaSettings))
        fanout = Fanout(redis)
        fanout.start()
        pending = PendingOrders(pool)
        app.state.runtime = Runtime(settings, listing, asset_decimals(listing), pool, redis, limiter, intake, fanout,
                                    pending)
        # Everything built so far (modules, the app, schemas) lives as long as the process: keep it out
        # of the collector's sight, so a full collection walks only request garbage (no 100 ms pauses).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await pending.close()
            await fanout.close()
            intake.close()
            await pool.close()
            await redis.aclose()

    app = FastAPI(title="FastTrading API", version="1", lifespan=lifespan, responses=ERROR_RESPONSES,
                  description="Order entry, market data, wallets and live channels. Money is decimal strings.")
    errors.install(app)
    v1 = APIRouter(prefix="/api/v1")
    for module in (auth, keys, orders, market, wallets):
        v1.include_router(module.router)
    app.include_router(v1)
    app.include_router(ws.router)

    @app.get("/health", tags=["health"], include_in_schema=False)
    async def health() -> dict:
        return {"status": "ok"}

    # add_middleware wraps: the last added is the outermost.
    tokens = VerifiedTokens(settings.secret_key)
    app.add_middleware(GeneralRateLimit, settings=settings, limiter=limiter, tokens=tokens)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(CrossOrigin, allow_origins=list(settings.cors_origins), allow_credentials=False,
                       allow_methods=["GET", "POST", "PATCH", "DELETE"],
                       allow_headers=["Authorization", "Content-Type", "FT-API-KEY", "FT-API-TIMESTAMP",
                                      "FT-API-SIGNATURE"],
                       expose_headers=["Retry-After"], max_age=600)
    app.add_middleware(SecurityHeaders)
    return OrderEntry(app, settings, limiter, tokens)
