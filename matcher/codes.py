"""Stable reject and reason codes, grouped by the subsystem that decides them.

A business rejection is a value carrying one of these strings, never an exception. The strings are
part of the public event schema (they travel on Kafka), so they never change meaning; new codes are
added, old ones are not renamed.
"""

from __future__ import annotations

# --- validation: the command itself is malformed for its symbol (ledger and matcher both check) ----
UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
INVALID_PRICE = "INVALID_PRICE"
INVALID_QUANTITY = "INVALID_QUANTITY"
INVALID_AMOUNT = "INVALID_AMOUNT"
BELOW_MIN_NOTIONAL = "BELOW_MIN_NOTIONAL"
INVALID_ORDER_TYPE = "INVALID_ORDER_TYPE"
INVALID_TIME_IN_FORCE = "INVALID_TIME_IN_FORCE"
INVALID_EXPIRY = "INVALID_EXPIRY"
INVALID_FLAGS = "INVALID_FLAGS"
MARKET_BUY_UNBOUNDED = "MARKET_BUY_UNBOUNDED"
VALIDATION = frozenset({
    UNKNOWN_SYMBOL, INVALID_PRICE, INVALID_QUANTITY, INVALID_AMOUNT, BELOW_MIN_NOTIONAL,
    INVALID_ORDER_TYPE, INVALID_TIME_IN_FORCE, INVALID_EXPIRY, INVALID_FLAGS, MARKET_BUY_UNBOUNDED,
})

# --- risk: the ledger (per account) refuses ----------------------------------------------------------
INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
DUPLICATE = "DUPLICATE"
STALE = "STALE"  # older than the dedupe window (`matcher.recent`): it may be a copy of a forgotten command
UNKNOWN_ORDER = "UNKNOWN_ORDER"
NOT_OWNER = "NOT_OWNER"
RESERVED_ACCOUNT = "RESERVED_ACCOUNT"
RISK = frozenset({INSUFFICIENT_FUNDS, DUPLICATE, STALE, UNKNOWN_ORDER, NOT_OWNER, RESERVED_ACCOUNT})

# --- matching: the book (per symbol) refuses ---------------------------------------------------------
POST_ONLY_WOULD_TAKE = "POST_ONLY_WOULD_TAKE"
FOK_NOT_FILLABLE = "FOK_NOT_FILLABLE"
AMEND_NO_CHANGE = "AMEND_NO_CHANGE"
MATCHING = frozenset({POST_ONLY_WOULD_TAKE, FOK_NOT_FILLABLE, AMEND_NO_CHANGE, UNKNOWN_ORDER, NOT_OWNER,
                      DUPLICATE, STALE})

# --- why an order left the book without filling (reason of a `cancelled` event) ----------------------
CANCELLED_BY_USER = "USER"
CANCELLED_IOC = "IOC"  # unfilled remainder of an IOC/market order, or a market buy's budget ran out
CANCELLED_STP = "SELF_TRADE"  # self-trade prevention removed it
CANCELLED_POST_ONLY = "POST_ONLY_WOULD_TAKE"  # a triggered or amended post-only order would have taken
