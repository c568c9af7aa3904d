"""What a well-formed order is: the checks the ledger and the matcher both apply to a `PlaceOrder`.

Returns a stable reject code (`matcher.codes`) or None; never raises for a malformed command.
"""

from __future__ import annotations

from matcher import codes
from matcher.enums import (BUY, GTD, LIMIT, MARKET, ORDER_TYPES, RESTING_TIFS, SIDES, STOP_LIMIT, STOP_MARKET,
                           STP_MODES, TIMES_IN_FORCE)
from matcher.symbols import SymbolSpec

_STOP_TYPES = (STOP_LIMIT, STOP_MARKET)
_MARKET_TIFS = ("IOC", "FOK")


def check_place(spec: SymbolSpec, c, now_ns: int) -> str | None:
    """Validate a `PlaceOrder` against its symbol (shared by the ledger and the matcher).

    >>> from matcher.commands import PlaceOrder
    >>> spec = SymbolSpec("BTC-USDT", "BTC", "USDT", 8, 6, "0.01", "0.0001")
    >>> check_place(spec, PlaceOrder(cmd_id="c", ts_ns=0, account="a", symbol="BTC-USDT", order_id="o",
    ...                              side="buy", order_type="market", tif="IOC", qty=1), 0)
    'MARKET_BUY_UNBOUNDED'
    """
    order_type, tif = c.order_type, c.tif
    if c.side not in SIDES or order_type not in ORDER_TYPES:
        return codes.INVALID_ORDER_TYPE
    if tif not in TIMES_IN_FORCE or (order_type == MARKET and tif not in _MARKET_TIFS):
        return codes.INVALID_TIME_IN_FORCE
    if (c.expire_ns is not None) != (tif == GTD):
        return codes.INVALID_EXPIRY
    if tif == GTD and (type(c.expire_ns) is not int or c.expire_ns <= max(now_ns, c.ts_ns)):
        return codes.INVALID_EXPIRY
    if c.stp not in STP_MODES or (c.post_only and (order_type != LIMIT or tif not in RESTING_TIFS)):
        return codes.INVALID_FLAGS
    is_market = order_type == MARKET or order_type == STOP_MARKET
    if is_market:
        budget = c.quote_budget
        if budget is not None and (c.side != BUY or type(budget) is not int or budget <= 0):
            return codes.INVALID_AMOUNT
        if c.side == BUY and budget is None and c.price is None:
            return codes.MARKET_BUY_UNBOUNDED
    elif c.price is None or c.quote_budget is not None:
        return codes.INVALID_PRICE if c.price is None else codes.INVALID_AMOUNT
    if order_type in _STOP_TYPES:
        stop = c.stop_price
        if type(stop) is not int or stop <= 0:
            return codes.INVALID_PRICE
    elif c.stop_price is not None:
        return codes.INVALID_PRICE
    return spec.check_order(c.price, c.qty)
