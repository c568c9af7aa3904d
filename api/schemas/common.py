"""Types shared by every resource: the error body and the decimal-string shape of money."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

DecimalStr = Annotated[str, Field(pattern=r"^[0-9]{1,30}(\.[0-9]{1,30})?$", examples=["65000.25"],
                                  description="a non-negative decimal number as a string")]
# Printable text only: control characters (NUL above all) have no business in names and ids.
Text64 = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=64)]
ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"  # order ids, key ids: what path parameters may be


class ErrorPublic(BaseModel):
    code: str = Field(examples=["INSUFFICIENT_FUNDS"])
    message: str
    details: Any | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": description}
    for status, description in (
        (400, "Refused: the request is well formed but not acceptable"),
        (401, "Not authenticated"),
        (404, "Not found (or not yours)"),
        (409, "Conflict"),
        (413, "Request body too large"),
        (422, "Validation error"),
        (429, "Rate limited; see Retry-After"),
        (503, "A backing service is unavailable; retry"),
    )
}
