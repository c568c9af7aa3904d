"""Every Redis key and pub/sub channel FastTrading uses, and what each holds.

Projections write them; the API reads them and relays the channels to websocket clients. Values are
integers in the core's units (ticks, lots) as decimal text; payloads on channels are JSON events.

| key / channel | kind | holds |
| --- | --- | --- |
| `book:{symbol}:bids`, `book:{symbol}:asks` | hash | price ticks -> resting lots (L2; a level at 0 is deleted) |
| `book:{symbol}:seq` | string | matcher sequence of the last event applied to the book |
| `price:{symbol}` | string | last trade price in ticks |
| `ws:trades:{symbol}` | channel | matcher `trade` events |
| `ws:book:{symbol}` | channel | matcher `book_delta` events |
| `ws:prices:{symbol}` | channel | `{"type": "price", "symbol", "price", "seq", "ts_ns"}` after each trade |
| `ws:orders:{account}` | channel | the account's order updates: matcher events naming it, ledger rejections |
"""

from __future__ import annotations


def book_side(symbol: str, side: str) -> str:
    return f"book:{symbol}:{'bids' if side == 'buy' else 'asks'}"


def book_seq(symbol: str) -> str:
    return f"book:{symbol}:seq"


def last_price(symbol: str) -> str:
    return f"price:{symbol}"


def trades_channel(symbol: str) -> str:
    return f"ws:trades:{symbol}"


def book_channel(symbol: str) -> str:
    return f"ws:book:{symbol}"


def prices_channel(symbol: str) -> str:
    return f"ws:prices:{symbol}"


def orders_channel(account: str) -> str:
    return f"ws:orders:{account}"
