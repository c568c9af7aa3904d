"""The exchange's hot path as plain ASGI: `POST /api/v1/orders` from a bearer-authenticated client,
without `wait`, served by the same `api.routes.orders.place` as the route, minus FastAPI's routing,
dependency resolution and response validation (together more CPU than the whole intake).

It only takes requests it can answer exactly as the route would: the perimeter has verified the
token (the principal is in `scope["state"]`), there is no query string, the body is JSON that
`OrderCreate` accepts. Anything else (API-key signatures, `wait=true`, a body that fails validation,
so its 422 keeps the one error shape) goes on to the FastAPI route unchanged. Refusals raised by
`place` (`ApiError`) are answered in the API's error shape; anything unexpected is a 500 `INTERNAL`.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from api import errors
from api.errors import ApiError
from api.perimeter import ORDERS_PATH, replay_body, send_error
from api.ratelimit import ORDER_LIMIT_COUNTED
from api.routes.orders import place
from api.schemas.orders import OrderCreate

log = logging.getLogger(__name__)
_JSON_HEADERS = [(b"content-type", b"application/json")]


class OrderEntry:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != ORDERS_PATH
                or scope["query_string"] or "principal" not in scope.get("state", {}) or not _json_body(scope)):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:  # the body limit upstream has already read and bounded it
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            order = OrderCreate.model_validate_json(body)
        except ValidationError:
            return await self.app(scope, replay_body(body, receive), send)
        state = scope["state"]
        try:
            status, placed = await place(scope["app"].state.runtime, state["principal"], order, False,
                                         state.get(ORDER_LIMIT_COUNTED, False))
        except ApiError as exc:
            return await send_error(send, exc.status, exc.code, exc.message, exc.headers)
        except Exception:
            log.exception("placing an order failed")
            return await send_error(send, 500, errors.INTERNAL, "internal error")
        payload = placed.model_dump_json().encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": _JSON_HEADERS + [(b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


def _json_body(scope) -> bool:
    """No content type, or a JSON one: what FastAPI parses as JSON."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
    return True
