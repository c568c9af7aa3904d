"""What routes ask for, as `Annotated` aliases: `Conn`, `Pool`, `RedisDep`, `CurrentUser`, ...

`current_principal` accepts a bearer JWT (already verified by the rate-limit middleware when valid)
or an API-key signed request (see `api.security`): the timestamp must be within the window, the
signature must cover method, path, query and body, and a signature is accepted once (Redis
remembers it for two windows), so a captured request cannot be replayed.
"""

from __future__ import annotations

import time
from typing import Annotated, AsyncIterator, Mapping

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from api import errors
from api.errors import ApiError
from api.fanout import Fanout
from api.intake import CommandIntake
from api.pending import PendingOrders
from api.ratelimit import RateLimiter
from api.runtime import Runtime
from api.security import Principal, derive_key_secret, read_token, secret_digest, signature_matches
from api.store import users
from connectors.redis import keys
from connectors.settings import ApiSettings
from matcher.symbols import SymbolSpec


# Every dependency is `async def`: FastAPI runs plain `def` dependencies in a worker thread, a thread
# hop per dependency per request that costs more than the work they do.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_settings(request: Request) -> ApiSettings:
    return request.app.state.runtime.settings


async def get_pool(request: Request) -> AsyncConnectionPool:
    return request.app.state.runtime.pool


async def get_conn(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.runtime.pool.connection() as conn:
        yield conn


async def get_redis(request: Request) -> Redis:
    return request.app.state.runtime.redis


async def get_limiter(request: Request) -> RateLimiter:
    return request.app.state.runtime.limiter


async def get_intake(request: Request) -> CommandIntake:
    return request.app.state.runtime.intake


async def get_pending(request: Request) -> PendingOrders:
    return request.app.state.runtime.pending


async def get_fanout(request: Request) -> Fanout:
    return request.app.state.runtime.fanout


async def get_listing(request: Request) -> Mapping[str, SymbolSpec]:
    return request.app.state.runtime.listing


async def get_assets(request: Request) -> Mapping[str, int]:
    return request.app.state.runtime.assets


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
Pool = Annotated[AsyncConnectionPool, Depends(get_pool)]
Conn = Annotated[AsyncConnection, Depends(get_conn)]
RedisDep = Annotated[Redis, Depends(get_redis)]
Limiter = Annotated[RateLimiter, Depends(get_limiter)]
Intake = Annotated[CommandIntake, Depends(get_intake)]
FanoutDep = Annotated[Fanout, Depends(get_fanout)]
Pending = Annotated[PendingOrders, Depends(get_pending)]
Listing = Annotated[Mapping[str, SymbolSpec], Depends(get_listing)]
Assets = Annotated[Mapping[str, int], Depends(get_assets)]

bearer_scheme = HTTPBearer(auto_error=False, description="JWT from /api/v1/auth/login")
api_key_scheme = APIKeyHeader(name="FT-API-KEY", auto_error=False,
                              description="API key id; also send FT-API-TIMESTAMP and FT-API-SIGNATURE")


def _unauthorized(code: str = errors.UNAUTHORIZED, message: str = "authentication required") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    request: Request,
    runtime: RuntimeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    key_id: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    principal = request.scope.get("state", {}).get("principal")
    if principal is not None:
        return principal
    if bearer is not None:
        try:
            return read_token(runtime.settings.secret_key, bearer.credentials)
        except jwt.ExpiredSignatureError:
            raise _unauthorized(errors.TOKEN_EXPIRED, "the token has expired; log in again") from None
        except jwt.PyJWTError:
            raise _unauthorized(message="invalid token") from None
    if key_id is not None:
        return await _signed_request_principal(request, runtime, key_id)
    raise _unauthorized()


async def _signed_request_principal(request: Request, runtime: Runtime, key_id: str) -> Principal:
    settings = runtime.settings
    timestamp, signature = request.headers.get("ft-api-timestamp", ""), request.headers.get("ft-api-signature", "")
    if not timestamp.isdigit() or len(timestamp) > 16 or not signature:
        raise _unauthorized(errors.INVALID_SIGNATURE, "FT-API-TIMESTAMP and FT-API-SIGNATURE are required")
    if abs(time.time_ns() // 1_000_000 - int(timestamp)) > settings.hmac_window_ms:
        raise _unauthorized(errors.STALE_TIMESTAMP, f"timestamp outside the {settings.hmac_window_ms} ms window")
    if len(key_id) > 64:
        raise _unauthorized(message="unknown API key")
    async with runtime.pool.connection() as conn:
        owner = await users.key_owner(conn, key_id)
    secret = derive_key_secret(settings.secret_key, key_id)
    if owner is None or owner["secret_hash"] != secret_digest(secret):
        raise _unauthorized(message="unknown or revoked API key")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body = await request.body()
    if not signature_matches(secret, int(timestamp), request.method, path, body, signature):
        raise _unauthorized(errors.INVALID_SIGNATURE, "the signature does not match the request")
    fresh = await runtime.redis.set(keys.hmac_seen(key_id, signature), 1, nx=True, px=2 * settings.hmac_window_ms)
    if not fresh:
        raise _unauthorized(errors.REPLAYED_REQUEST, "this signed request was already used")
    return Principal(owner["user_id"], owner["account_id"], owner["orders_per_s"], owner["requests_per_min"])


CurrentUser = Annotated[Principal, Depends(current_principal)]


def symbol_spec(listing: Mapping[str, SymbolSpec], symbol: str) -> SymbolSpec:
    spec = listing.get(symbol)
    if spec is None:
        raise ApiError(404, "UNKNOWN_SYMBOL", f"no listed symbol {symbol[:32]!r}")
    return spec
