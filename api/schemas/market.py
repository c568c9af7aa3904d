"""Market data: symbols, prices, tickers, candles and trades."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from matcher.symbols import SymbolSpec


class SymbolPublic(BaseModel):
    symbol: str
    base: str
    quote: str
    base_decimals: int
    quote_decimals: int
    tick_size: str
    lot_size: str
    min_quantity: str
    min_notional: str
    maker_fee_bps: int
    taker_fee_bps: int

    @classmethod
    def from_spec(cls, spec: SymbolSpec) -> SymbolPublic:
        return cls(symbol=spec.symbol, base=spec.base, quote=spec.quote, base_decimals=spec.base_decimals,
                   quote_decimals=spec.quote_decimals, tick_size=spec.tick_size, lot_size=spec.lot_size,
                   min_quantity=spec.lots_to_qty(spec.min_qty_lots),
                   min_notional=spec.units_to_amount(spec.quote, spec.min_notional) if spec.min_notional else "0",
                   maker_fee_bps=spec.maker_fee_bps, taker_fee_bps=spec.taker_fee_bps)


class SymbolsPublic(BaseModel):
    data: list[SymbolPublic]
    count: int


class PricePublic(BaseModel):
    symbol: str
    price: str | None = None


class PricesPublic(BaseModel):
    data: list[PricePublic]
    count: int


class TickerPublic(BaseModel):
    symbol: str
    open: str | None
    high: str | None
    low: str | None
    last: str | None
    volume: str
    quote_volume: str
    trade_count: int
    window_start: datetime
    window_end: datetime


class CandlePublic(BaseModel):
    open_time: datetime
    open: str
    high: str
    low: str
    close: str
    volume: str
    trade_count: int


class CandlesPublic(BaseModel):
    symbol: str
    interval: str
    data: list[CandlePublic]
    count: int


class TradePublic(BaseModel):
    trade_id: str
    seq: int
    price: str
    quantity: str
    taker_side: str
    executed_at: datetime


class TradesPublic(BaseModel):
    symbol: str
    data: list[TradePublic]
    count: int
