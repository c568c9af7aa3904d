"""Vocabulary of orders: sides, order types, time in force and self-trade prevention modes.

Plain strings rather than `enum.Enum`: they are what travels in JSON, they compare by identity on
the hot path, and they cost nothing to pickle.
"""

from __future__ import annotations

BUY = "buy"
SELL = "sell"
SIDES = frozenset({BUY, SELL})

LIMIT = "limit"
MARKET = "market"
STOP_LIMIT = "stop_limit"
STOP_MARKET = "stop_market"
ORDER_TYPES = frozenset({LIMIT, MARKET, STOP_LIMIT, STOP_MARKET})
STOP_TYPES = frozenset({STOP_LIMIT, STOP_MARKET})
MARKET_TYPES = frozenset({MARKET, STOP_MARKET})

GTC = "GTC"  # good till cancelled
IOC = "IOC"  # immediate or cancel: fill what you can now, cancel the rest
FOK = "FOK"  # fill or kill: fill everything now or nothing
GTD = "GTD"  # good till date: like GTC, expires at `expire_ns` (event time)
TIMES_IN_FORCE = frozenset({GTC, IOC, FOK, GTD})
RESTING_TIFS = frozenset({GTC, GTD})

STP_NONE = "none"  # self-trades are allowed
STP_CANCEL_NEWEST = "cancel_newest"  # the incoming (taker) order's remainder is cancelled
STP_CANCEL_OLDEST = "cancel_oldest"  # the resting (maker) order is cancelled, matching goes on
STP_CANCEL_BOTH = "cancel_both"  # both are cancelled
STP_MODES = frozenset({STP_NONE, STP_CANCEL_NEWEST, STP_CANCEL_OLDEST, STP_CANCEL_BOTH})

MAKER = "maker"
TAKER = "taker"
