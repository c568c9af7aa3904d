"""Public market data: symbols, last prices (Redis), 24h ticker, candles and recent trades (PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import Conn, Listing, RedisDep, symbol_spec
from api.errors import ApiError
from api.schemas.market import (CandlePublic, CandlesPublic, PricePublic, PricesPublic, SymbolPublic, SymbolsPublic,
                                TickerPublic, TradePublic, TradesPublic)
from api.store import market
from connectors.redis import keys

router = APIRouter(prefix="/market", tags=["market"])
Symbol = Annotated[str, Path(max_length=32, examples=["BTC-USDT"])]


@router.get("/symbols", response_model=SymbolsPublic)
async def symbols(listing: Listing) -> SymbolsPublic:
    data = [SymbolPublic.from_spec(spec) for spec in listing.values()]
    return SymbolsPublic(data=data, count=len(data))


@router.get("/prices", response_model=PricesPublic)
async def prices(redis: RedisDep, listing: Listing) -> PricesPublic:
    names = list(listing)
    values = await redis.mget([keys.last_price(name) for name in names]) if names else []
    data = [PricePublic(symbol=name, price=None if value is None else listing[name].ticks_to_price(int(value)))
            for name, value in zip(names, values)]
    return PricesPublic(data=data, count=len(data))


@router.get("/prices/{symbol}", response_model=PricePublic)
async def price(symbol: Symbol, redis: RedisDep, listing: Listing) -> PricePublic:
    spec = symbol_spec(listing, symbol)
    value = await redis.get(keys.last_price(symbol))
    return PricePublic(symbol=symbol, price=None if value is None else spec.ticks_to_price(int(value)))


@router.get("/ticker/{symbol}", response_model=TickerPublic)
async def ticker(symbol: Symbol, conn: Conn, listing: Listing) -> TickerPublic:
    """The last 24 hours of trades: open, high, low, last, base volume, quote volume, count."""
    spec = symbol_spec(listing, symbol)
    row = await market.ticker_24h(conn, symbol)

    def px(ticks: int | None) -> str | None:
        return None if ticks is None else spec.ticks_to_price(ticks)

    return TickerPublic(
        symbol=symbol, open=px(row["open"]), high=px(row["high"]), low=px(row["low"]), last=px(row["last"]),
        volume=spec.lots_to_qty(int(row["volume_lots"])),
        quote_volume=spec.units_to_amount(spec.quote, int(row["tick_lots"]) * spec.quote_per_tick_lot),
        trade_count=row["trade_count"], window_start=row["window_start"], window_end=row["window_end"])


@router.get("/candles/{symbol}", response_model=CandlesPublic)
async def candles(symbol: Symbol, conn: Conn, listing: Listing,
                  interval: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1m",
                  start: datetime | None = None, end: datetime | None = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> CandlesPublic:
    """OHLCV candles with `open_time` in [start, end), oldest first (the newest `limit` of them)."""
    spec = symbol_spec(listing, symbol)
    if start is not None and end is not None and start >= end:
        raise ApiError(400, "INVALID_RANGE", "start must be before end")
    rows = await market.candles(conn, symbol, interval, start, end, limit)
    data = [CandlePublic(open_time=r["open_time"], open=spec.ticks_to_price(r["open_ticks"]),
                         high=spec.ticks_to_price(r["high_ticks"]), low=spec.ticks_to_price(r["low_ticks"]),
                         close=spec.ticks_to_price(r["close_ticks"]), volume=spec.lots_to_qty(r["volume_lots"]),
                         trade_count=r["trade_count"]) for r in rows]
    return CandlesPublic(symbol=symbol, interval=interval, data=data, count=len(data))


@router.get("/trades/{symbol}", response_model=TradesPublic)
async def trades(symbol: Symbol, conn: Conn, listing: Listing,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> TradesPublic:
    spec = symbol_spec(listing, symbol)
    rows = await market.recent_trades(conn, symbol, limit)
    data = [TradePublic(trade_id=r["trade_id"], seq=r["seq"], price=spec.ticks_to_price(r["price_ticks"]),
                        quantity=spec.lots_to_qty(r["quantity_lots"]), taker_side=r["taker_side"],
                        executed_at=r["executed_at"]) for r in rows]
    return TradesPublic(symbol=symbol, data=data, count=len(data))
