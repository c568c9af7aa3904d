"""What every request passes before a route sees it, as plain ASGI middleware (no per-request task):
security headers on every response, a request body size limit (413), and the general rate limit.

The general limit counts per user when the request carries a valid bearer token (the verified
principal is left in `scope["state"]` so the route does not decode it again) and per client address
otherwise: unauthenticated and API-key requests share their address's bucket until they are verified.
Bearer order placement is answered in front of this middleware by `api.order_entry`, which does the
same with the same pieces (`bearer_principal`, `user_buckets`, `security_headers`).
"""

from __future__ import annotations

import time

import jwt
import orjson
from starlette.middleware.cors import CORSMiddleware

from api import errors
from api.ratelimit import ORDER_LIMIT_COUNTED, Bucket, RateLimiter, order_bucket, too_many
from api.security import Principal, read_token_expiring
from connectors.settings import ApiSettings

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
]
API_ONLY_HEADERS = [  # the docs page loads its scripts from a CDN, so it does not get these
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
]
UNLIMITED_PATHS = ("/docs", "/openapi.json", "/redoc", "/health")
ORDERS_PATH = "/api/v1/orders"


async def send_error(send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    body = orjson.dumps(errors.error_body(code, message))
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """What every response to `path` carries."""
    return SECURITY_HEADERS if path.startswith(UNLIMITED_PATHS) else SECURITY_HEADERS + API_ONLY_HEADERS


def with_security_headers(send, path: str):
    """An ASGI `send` that adds `security_headers(path)` to the response's start."""
    extra = security_headers(path)

    async def send_with_headers(message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = list(message.get("headers", [])) + extra
        await send(message)

    return send_with_headers


class SecurityHeaders:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        await self.app(scope, receive, with_security_headers(send, scope["path"]))


class CrossOrigin(CORSMiddleware):
    """Starlette's CORS, entered only by requests that carry an `Origin` (it passes the others on
    untouched anyway, after building a `Headers` object to find that out)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            return await self.app(scope, receive, send)
        await super().__call__(scope, receive, send)


class BodyLimit:
    """Reads the whole body up front (it is small by definition) and refuses it past `max_bytes`."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                return await send_error(send, 413, errors.BODY_TOO_LARGE, f"request body over {self.max_bytes} bytes")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await send_error(send, 413, errors.BODY_TOO_LARGE, f"request body over {self.max_bytes} bytes")
            more = message.get("more_body", False)
        await self.app(scope, replay_body(b"".join(chunks), receive), send)


class VerifiedTokens:
    """Bearer tokens this process has verified, until they expire. A client sends the same token with
    every request for its whole lifetime, and checking its HMAC and decoding its claims each time is
    most of what the perimeter costs. Only the exact token string hits; an expired entry is verified
    again (and refused). Bounded: past `max_size` entries the cache starts over."""

    def __init__(self, secret_key: str, max_size: int = 10_000) -> None:
        self._secret_key, self._max_size = secret_key, max_size
        self._seen: dict[str, tuple[Principal, int]] = {}

    def principal(self, token: str) -> Principal:
        """Raises `jwt.PyJWTError` for a token that does not verify."""
        hit = self._seen.get(token)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        principal, expires_s = read_token_expiring(self._secret_key, token)
        if len(self._seen) >= self._max_size:
            self._seen.clear()
        self._seen[token] = (principal, expires_s)
        return principal


def counts_as_order(scope) -> bool:
    """Place, cancel and amend: the requests the per-account orders limit counts."""
    path, method = scope["path"], scope["method"]
    return (method == "POST" and path == ORDERS_PATH) or (method in ("DELETE", "PATCH")
                                                          and path.startswith(ORDERS_PATH + "/"))


def bearer_principal(scope, tokens: VerifiedTokens) -> Principal | None:
    """The principal of the request's bearer token, or None (no bearer token, or one that does not verify)."""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            try:
                return tokens.principal(value[7:].decode("latin-1").strip())
            except jwt.PyJWTError:
                return None
    return None


def user_buckets(principal: Principal, settings: ApiSettings, counts_order: bool) -> list[Bucket]:
    """An authenticated request's buckets: the user's general one and, for an order, the account's orders one."""
    general = Bucket("req", f"u:{principal.user_id}", principal.requests_per_min or settings.requests_per_min, 60_000)
    return [general, order_bucket(principal, settings.orders_per_s)] if counts_order else [general]


async def send_too_many(send, bucket: Bucket, wait_ms: int) -> None:
    error = too_many(bucket, wait_ms)
    await send_error(send, 429, error.code, error.message, error.headers)


class GeneralRateLimit:
    """The general limit; for a bearer-authenticated place, cancel or amend it counts the account's
    orders bucket in the same Redis call and says so in `scope["state"]` (the route then skips it)."""

    def __init__(self, app, settings: ApiSettings, limiter: RateLimiter, tokens: VerifiedTokens) -> None:
        self.app, self.settings, self.limiter, self.tokens = app, settings, limiter, tokens

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED_PATHS) or scope["method"] == "OPTIONS":
            return await self.app(scope, receive, send)
        principal = bearer_principal(scope, self.tokens)
        if principal is None:
            client = scope.get("client") or ("unknown", 0)
            buckets = [Bucket("req", f"ip:{client[0]}", self.settings.ip_requests_per_min, 60_000)]
        else:
            state = scope.setdefault("state", {})
            state["principal"] = principal
            state[ORDER_LIMIT_COUNTED] = counted = counts_as_order(scope)
            buckets = user_buckets(principal, self.settings, counted)
        refused, wait_ms = await self.limiter.first_exceeded(*buckets)
        if refused is not None:
            return await send_too_many(send, refused, wait_ms)
        await self.app(scope, receive, send)


def replay_body(body: bytes, receive):
    """An ASGI `receive` that hands the app a body already read, then defers to the real one."""
    replayed = False

    async def replay():
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
