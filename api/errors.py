"""Every error the API returns is JSON `{"code": ..., "message": ...}` with a stable `code`.

Business rejections known at the edge (a price off the tick grid, an unknown symbol) reuse the core's
codes from `matcher.codes`; the rest are the API's own, listed here so clients can rely on them.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from connectors.errors import ConnectorError

UNAUTHORIZED = "UNAUTHORIZED"
TOKEN_EXPIRED = "TOKEN_EXPIRED"
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
INVALID_SIGNATURE = "INVALID_SIGNATURE"
STALE_TIMESTAMP = "STALE_TIMESTAMP"
REPLAYED_REQUEST = "REPLAYED_REQUEST"
EMAIL_TAKEN = "EMAIL_TAKEN"
NOT_FOUND = "NOT_FOUND"
ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
KEY_NOT_FOUND = "KEY_NOT_FOUND"
ORDER_CLOSED = "ORDER_CLOSED"
NONCE_INVALID = "NONCE_INVALID"
WRONG_SIGNER = "WRONG_SIGNER"
WALLET_TAKEN = "WALLET_TAKEN"
WALLET_NOT_BOUND = "WALLET_NOT_BOUND"
UNKNOWN_ASSET = "UNKNOWN_ASSET"
RATE_LIMITED = "RATE_LIMITED"
BODY_TOO_LARGE = "BODY_TOO_LARGE"
VALIDATION_ERROR = "VALIDATION_ERROR"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL = "INTERNAL"


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and a message for humans."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def not_found(code: str = NOT_FOUND, what: str = "resource") -> ApiError:
    # 404 rather than 403 for other users' things: an id that exists is not confirmed to strangers.
    return ApiError(404, code, f"{what} not found")


def error_body(code: str, message: str, details: object = None) -> dict:
    body = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def install(app: FastAPI) -> None:
    """Route every failure, expected or not, to the one JSON error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in errors]
        return JSONResponse(
            error_body(VALIDATION_ERROR, f"{where}: {first.get('msg')}", jsonable_encoder(details)), 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 401: UNAUTHORIZED}.get(exc.status_code, f"HTTP_{exc.status_code}")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

    @app.exception_handler(ConnectorError)
    async def _infrastructure(_: Request, exc: ConnectorError) -> JSONResponse:
        return JSONResponse(error_body(SERVICE_UNAVAILABLE, str(exc)), 503, headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body(INTERNAL, "internal error"), 500)
