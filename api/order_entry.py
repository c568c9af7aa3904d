"""The exchange's hot path as plain ASGI: `POST /api/v1/orders` from a bearer-authenticated client,
without `wait`, served by the same `api.routes.orders.place` as the route, in front of the FastAPI
app: its telemetry check, error middleware, perimeter middleware, routing, dependency resolution and
response validation (together more CPU than the whole intake).

It only takes requests whose answer it knows to be the perimeter's and the route's: no query string,
no `Origin` (CORS is the perimeter's), a declared length within the body limit, a JSON content type,
a bearer token that verifies, a body that `OrderCreate` accepts. It decides all that before counting
the request, so whatever it passes on (API-key signatures, `wait=true`, a body that fails validation,
so its 422 keeps the one error shape) reaches the perimeter unchanged and is counted there once. It
then does what the perimeter would: the general and orders limits in one Redis call (429), security
headers on every answer. Refusals raised by `place` (`ApiError`) are answered in the API's error
shape; anything unexpected (Redis, `place`) is a 500 `INTERNAL`, as FastAPI's error handler answers.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from pydantic import ValidationError

from api import errors
from api.errors import ApiError
from api.perimeter import (ORDERS_PATH, VerifiedTokens, bearer_principal, replay_body, security_headers,
                           send_error, send_too_many, user_buckets, with_security_headers)
from api.ratelimit import RateLimiter
from api.routes.orders import place
from api.schemas.orders import OrderCreate
from api.security import Principal
from connectors.settings import ApiSettings

log = logging.getLogger(__name__)
_JSON = (b"content-type", b"application/json")
_ANSWER_HEADERS = security_headers(ORDERS_PATH)


class OrderEntry:
    def __init__(self, app: FastAPI, settings: ApiSettings, limiter: RateLimiter, tokens: VerifiedTokens) -> None:
        self.app, self.settings, self.limiter, self.tokens = app, settings, limiter, tokens

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != ORDERS_PATH
                or scope["query_string"]):
            return await self.app(scope, receive, send)
        principal = self._caller(scope)
        if principal is None:
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:  # at most the declared length, which is within the limit
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            order = OrderCreate.model_validate_json(body)
        except ValidationError:
            return await self.app(scope, replay_body(body, receive), send)
        try:
            refused, wait_ms = await self.limiter.first_exceeded(*user_buckets(principal, self.settings, True))
            answer = None if refused is not None else await place(
                self.app.state.runtime, principal, order, wait=False, order_limit_counted=True)
        except ApiError as exc:
            return await send_error(with_security_headers(send, ORDERS_PATH), exc.status, exc.code, exc.message,
                                    exc.headers)
        except Exception:
            log.exception("placing an order failed")
            return await send_error(with_security_headers(send, ORDERS_PATH), 500, errors.INTERNAL, "internal error")
        if answer is None:
            return await send_too_many(with_security_headers(send, ORDERS_PATH), refused, wait_ms)
        status, placed = answer
        payload = placed.model_dump_json().encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [_JSON, (b"content-length", str(len(payload)).encode()), *_ANSWER_HEADERS]})
        await send({"type": "http.response.body", "body": payload})

    def _caller(self, scope) -> Principal | None:
        """The verified caller of a request this path may take, else None."""
        sized = False
        for name, value in scope["headers"]:
            if name == b"origin" or (name == b"content-type" and not _json(value)):
                return None
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.settings.max_body_bytes:
                    return None  # the perimeter answers 413
                sized = True
        return bearer_principal(scope, self.tokens) if sized else None


def _json(content_type: bytes) -> bool:
    """A JSON media type: what FastAPI parses as JSON."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
