"""Orders: what a client sends to place or amend, and how an order reads back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import DecimalStr
from matcher.symbols import SymbolSpec

OrderStatus = Literal["pending", "new", "triggered", "open", "partially_filled", "filled", "cancelled", "expired", "rejected"]


class OrderCreate(BaseModel):
    symbol: str = Field(max_length=32, examples=["BTC-USDT"])
    side: Literal["buy", "sell"]
    type: Literal["limit", "market", "stop_limit", "stop_market"] = "limit"
    time_in_force: Literal["GTC", "IOC", "FOK", "GTD"] = "GTC"
    quantity: DecimalStr
    price: DecimalStr | None = None
    stop_price: DecimalStr | None = None
    quote_budget: DecimalStr | None = Field(None, description="market buys: quote to spend, fees included")
    expire_at: datetime | None = Field(None, description="GTD only")
    post_only: bool = False
    self_trade_prevention: Literal["none", "cancel_newest", "cancel_oldest", "cancel_both"] = "none"
    client_order_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[\x20-\x7e]+$",
                                        description="your id; placing twice with it returns the first order")


class OrderAmend(BaseModel):
    price: DecimalStr | None = None
    quantity: DecimalStr | None = Field(None, description="the new total quantity")


class OrderPublic(BaseModel):
    order_id: str
    client_order_id: str | None
    symbol: str
    side: str
    type: str
    time_in_force: str
    price: str | None
    stop_price: str | None
    quantity: str
    filled_quantity: str
    status: str
    reject_reason: str | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict, spec: SymbolSpec) -> OrderPublic:
        price, stop = row["price_ticks"], row["stop_price_ticks"]
        return cls(
            order_id=row["order_id"], client_order_id=row["client_order_id"], symbol=row["symbol"],
            side=row["side"], type=row["order_type"], time_in_force=row["time_in_force"],
            price=None if price is None else spec.ticks_to_price(price),
            stop_price=None if stop is None else spec.ticks_to_price(stop),
            quantity=spec.lots_to_qty(row["quantity_lots"]), filled_quantity=spec.lots_to_qty(row["filled_lots"]),
            status=row["status"], reject_reason=row["reject_reason"],
            created_at=row["created_at"], updated_at=row["updated_at"],
        )


class OrderPlaced(OrderPublic):
    """The order as intake left it; with `wait=true`, folded with the matcher's first answer."""

    events: list[dict] = Field(default_factory=list, description="wait=true: the messages that decided it")


class OrdersPublic(BaseModel):
    data: list[OrderPublic]
    count: int


class OrderCommandPublic(BaseModel):
    """A cancel or amend on its way: the ledger and matcher decide; `ws` `orders` reports the result."""

    order_id: str
    cmd_id: str
    status: Literal["cancel_requested", "amend_requested"]


class BookPublic(BaseModel):
    symbol: str
    seq: int = Field(description="matcher sequence of the last event applied to this book")
    bids: list[tuple[str, str]] = Field(description="[price, quantity], best first")
    asks: list[tuple[str, str]]
