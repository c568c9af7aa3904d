"""Market history from PostgreSQL: recent trades, the 24-hour ticker and candles."""

from __future__ import annotations

from datetime import datetime

from psycopg import AsyncConnection


async def recent_trades(conn: AsyncConnection, symbol: str, limit: int) -> list[dict]:
    cur = await conn.execute(
        "SELECT trade_id, seq, price_ticks, quantity_lots, taker_side, executed_at FROM trades"
        " WHERE symbol = %s ORDER BY executed_at DESC, seq DESC LIMIT %s", (symbol, limit))
    return await cur.fetchall()


async def ticker_24h(conn: AsyncConnection, symbol: str) -> dict:
    cur = await conn.execute(
        "SELECT count(*) AS trade_count, min(price_ticks) AS low, max(price_ticks) AS high,"
        " coalesce(sum(quantity_lots), 0) AS volume_lots,"
        " coalesce(sum(price_ticks::numeric * quantity_lots), 0) AS tick_lots,"
        " (array_agg(price_ticks ORDER BY executed_at, seq))[1] AS open,"
        " (array_agg(price_ticks ORDER BY executed_at DESC, seq DESC))[1] AS last,"
        " now() - interval '24 hours' AS window_start, now() AS window_end"
        " FROM trades WHERE symbol = %s AND executed_at >= now() - interval '24 hours'", (symbol,))
    return await cur.fetchone()


async def candles(conn: AsyncConnection, symbol: str, interval: str, start: datetime | None,
                  end: datetime | None, limit: int) -> list[dict]:
    cur = await conn.execute(
        "SELECT open_time, open_ticks, high_ticks, low_ticks, close_ticks, volume_lots, trade_count"
        " FROM candles WHERE symbol = %s AND interval = %s"
        " AND (%s::timestamptz IS NULL OR open_time >= %s::timestamptz)"
        " AND (%s::timestamptz IS NULL OR open_time < %s::timestamptz)"
        " ORDER BY open_time DESC LIMIT %s",
        (symbol, interval, start, start, end, end, limit))
    return list(reversed(await cur.fetchall()))
