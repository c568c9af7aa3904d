"""Matcher events: what a symbol's book says happened, as plain tuples.

An event is a tuple whose first four fields are always `(type, symbol, seq, ts_ns)`: `seq` numbers
the symbol's events 1, 2, 3, ... without gaps (consumers dedupe and detect gaps on it; a trade's id
is `symbol:seq`), `ts_ns` is the event time of the command that caused it. The remaining fields
follow `FIELDS[type]`. Tuples rather than objects because the engine emits several per command and
a tuple costs a quarter of a slotted instance; `matcher.messages.to_dict` turns one into the JSON
form (`{"type": ..., "v": 1, ...}`), and the `I_*` constants below index fields by name.

>>> ev = ("trade", "BTC-USDT", 7, 1000, 101, 2, 202, "buy", "m1", "bob", 0, 3, "t1", "alice", 0, 0)
>>> dict(zip(FIELDS["trade"], ev))["maker_order_id"]
'm1'
"""

from __future__ import annotations

ACCEPTED = "accepted"
RESTED = "rested"
REJECTED = "rejected"
TRADE = "trade"
CANCELLED = "cancelled"
EXPIRED = "expired"
AMENDED = "amended"
TRIGGERED = "triggered"
BOOK_DELTA = "book_delta"

_HEAD = ("type", "symbol", "seq", "ts_ns")

FIELDS: dict[str, tuple[str, ...]] = {
    # a new order passed the matcher's checks (before any trade it makes)
    ACCEPTED: _HEAD + ("order_id", "account", "side", "order_type", "tif", "price", "qty", "stop_price"),
    # a new order's remainder now rests in the book
    RESTED: _HEAD + ("order_id", "account", "side", "price", "remaining"),
    # a command was refused; `cmd_type` is place/cancel/amend, `remaining` what the order still had
    REJECTED: _HEAD + ("cmd_id", "cmd_type", "order_id", "account", "reason", "remaining"),
    # one fill, at the maker's price; quote_qty = price x qty in quote units; fees in quote units
    TRADE: _HEAD + ("price", "qty", "quote_qty", "taker_side",
                    "maker_order_id", "maker_account", "maker_fee", "maker_remaining",
                    "taker_order_id", "taker_account", "taker_fee", "taker_remaining"),
    # an order's remainder left the book unfilled; reason: USER, IOC, SELF_TRADE, POST_ONLY_WOULD_TAKE
    CANCELLED: _HEAD + ("order_id", "account", "remaining", "reason"),
    # a GTD order reached its expiry
    EXPIRED: _HEAD + ("order_id", "account", "remaining"),
    # price and/or total qty changed; priority_kept tells whether it kept its place in the queue
    AMENDED: _HEAD + ("order_id", "account", "price", "qty", "remaining", "priority_kept", "cmd_id"),
    # a stop order's stop price was reached by the last trade price; it now acts as limit/market
    TRIGGERED: _HEAD + ("order_id", "account", "stop_price", "last_price"),
    # L2: the total quantity now resting at (side, price); 0 means the level is gone
    BOOK_DELTA: _HEAD + ("side", "price", "level_qty"),
}

# field positions, for readers that want names without building dicts
I_TYPE, I_SYMBOL, I_SEQ, I_TS = 0, 1, 2, 3
I_ORDER_ID, I_ACCOUNT = 4, 5  # accepted, rested, cancelled, expired, amended, triggered
I_TRADE_PRICE, I_TRADE_QTY = 4, 5
I_DELTA_SIDE, I_DELTA_PRICE, I_DELTA_QTY = 4, 5, 6
