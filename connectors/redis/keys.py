"""Every Redis key and pub/sub channel FastTrading uses, and what each holds.

Projections write the books, prices and channels; the API reads them and relays the channels to
websocket clients, and owns the last three keys below (rate limits, replay protection, wallet
nonces), each of which expires by itself. Values are integers in the core's units (ticks, lots) as
decimal text; payloads on channels are JSON events.

| key / channel | kind | holds |
| --- | --- | --- |
| `book:{symbol}:bids`, `book:{symbol}:asks` | hash | price ticks -> resting lots (L2; a level at 0 is deleted) |
| `book:{symbol}:seq` | string | matcher sequence of the last event applied to the book |
| `price:{symbol}` | string | last trade price in ticks |
| `ws:trades:{symbol}` | channel | matcher `trade` events |
| `ws:book:{symbol}` | channel | matcher `book_delta` events |
| `ws:prices:{symbol}` | channel | `{"type": "price", "symbol", "price", "seq", "ts_ns"}` after each trade |
| `ws:orders:{account}` | channel | the account's order updates: matcher events naming it, ledger rejections |
| `rl:{scope}:{identity}` | string | API rate-limit counter of one fixed window (`req`: per user or address a minute, `orders`: per account a second); expires with its window |
| `hmac:seen:{key_id}:{signature}` | string | an API-key signature already accepted (replay refusal); expires after two timestamp windows |
| `wallet:nonce:{nonce}` | string | JSON `{"user_id", "address", "message"}` of an EIP-191 binding challenge; taken once with GETDEL, expires |
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


def rate_limit_bucket(scope: str, identity: str) -> str:
    return f"rl:{scope}:{identity}"


def hmac_seen(key_id: str, signature: str) -> str:
    return f"hmac:seen:{key_id}:{signature.lower()}"


def wallet_nonce(nonce: str) -> str:
    return f"wallet:nonce:{nonce}"
