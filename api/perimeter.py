"""What every request passes before a route sees it, as plain ASGI middleware (no per-request task):
security headers on every response, a request body size limit (413), and the general rate limit.

The general limit counts per user when the request carries a valid bearer token (the verified
principal is left in `scope["state"]` so the route does not decode it again) and per client address
otherwise: unauthenticated and API-key requests share their address's bucket until they are verified.
"""

from __future__ import annotations

import jwt
import orjson

from api import errors
from api.ratelimit import RateLimiter
from api.security import read_token
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


async def _send_error(send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    body = orjson.dumps(errors.error_body(code, message))
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = SECURITY_HEADERS if scope["path"].startswith(UNLIMITED_PATHS) else SECURITY_HEADERS + API_ONLY_HEADERS

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Reads the whole body up front (it is small by definition) and refuses it past `max_bytes`."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                return await _send_error(send, 413, errors.BODY_TOO_LARGE, f"request body over {self.max_bytes} bytes")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await _send_error(send, 413, errors.BODY_TOO_LARGE, f"request body over {self.max_bytes} bytes")
            more = message.get("more_body", False)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


class GeneralRateLimit:
    def __init__(self, app, settings: ApiSettings, limiter: RateLimiter) -> None:
        self.app, self.settings, self.limiter = app, settings, limiter

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED_PATHS) or scope["method"] == "OPTIONS":
            return await self.app(scope, receive, send)
        identity, limit = self._identify(scope)
        wait_ms = await self.limiter.retry_after_ms("req", identity, limit, 60_000)
        if wait_ms:
            error = errors.ApiError(429, errors.RATE_LIMITED, f"more than {limit} requests per minute")
            return await _send_error(send, 429, error.code, error.message,
                                     {"Retry-After": str(max(1, -(-wait_ms // 1000)))})
        await self.app(scope, receive, send)

    def _identify(self, scope) -> tuple[str, int]:
        for name, value in scope["headers"]:
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                try:
                    principal = read_token(self.settings.secret_key, value[7:].decode("latin-1").strip())
                except jwt.PyJWTError:
                    break
                scope.setdefault("state", {})["principal"] = principal
                return f"u:{principal.user_id}", principal.requests_per_min or self.settings.requests_per_min
        client = scope.get("client") or ("unknown", 0)
        return f"ip:{client[0]}", self.settings.ip_requests_per_min
