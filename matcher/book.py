"""The order book of one symbol: two sides of price levels, each a FIFO queue of orders.

A side keeps `levels` (price -> `Level`) and `prices`, a sortedcontainers `SortedList` of the level
prices, plus a cached `best` price. A level that empties is kept (lazily) rather than removed from
`prices`: on a busy book the same prices empty and refill all the time, and skipping an empty level
when the best price moves is far cheaper than a `SortedList` removal and re-insertion. Empty levels
are swept out once they outnumber live ones, so memory stays proportional to the live book.

A level's queue is a dict (insertion ordered, O(1) removal by id): iteration order is time priority.
"""

from __future__ import annotations

import operator

from sortedcontainers import SortedList

from matcher.enums import STP_CANCEL_OLDEST, STP_NONE

_SWEEP_MIN = 64  # do not sweep empty levels before there are at least this many


class Order:
    """One live order as the book holds it (remaining quantity, priority, flags).

    >>> o = Order("o1", "alice", True, "limit", 100, 5, "GTC", None, False, "none", None, None, 1)
    >>> o.side, o.remaining, o.filled
    ('buy', 5, 0)
    """

    __slots__ = ("order_id", "account", "is_buy", "order_type", "price", "qty", "remaining", "filled",
                 "tif", "expire_ns", "post_only", "stp", "stop_price", "budget", "seq")

    def __init__(self, order_id: str, account: str, is_buy: bool, order_type: str, price: int | None,
                 qty: int, tif: str, expire_ns: int | None, post_only: bool, stp: str,
                 stop_price: int | None, budget: int | None, seq: int) -> None:
        self.order_id = order_id
        self.account = account
        self.is_buy = is_buy
        self.order_type = order_type
        self.price = price
        self.qty = qty
        self.remaining = qty
        self.filled = 0
        self.tif = tif
        self.expire_ns = expire_ns
        self.post_only = post_only
        self.stp = stp
        self.stop_price = stop_price
        self.budget = budget
        self.seq = seq  # acceptance sequence: fixed for life, orders stops and expiries deterministically

    @property
    def side(self) -> str:
        return "buy" if self.is_buy else "sell"

    def to_row(self) -> list:
        return list(_ORDER_ROW(self))

    @classmethod
    def from_row(cls, row: list) -> Order:
        (order_id, account, is_buy, order_type, price, qty, remaining, filled, tif, expire_ns, post_only,
         stp, stop_price, budget, seq) = row
        order = cls(order_id, account, is_buy, order_type, price, qty, tif, expire_ns, post_only, stp,
                    stop_price, budget, seq)
        order.remaining, order.filled = remaining, filled
        return order

    def __repr__(self) -> str:
        return (f"Order({self.order_id!r}, {self.account!r}, {self.side}, {self.price}, "
                f"{self.remaining}/{self.qty})")


# the fields of `Order.to_row`, read in one C call: snapshots take it for every resting order
_ORDER_ROW = operator.attrgetter("order_id", "account", "is_buy", "order_type", "price", "qty", "remaining",
                                 "filled", "tif", "expire_ns", "post_only", "stp", "stop_price", "budget", "seq")


class Level:
    """All orders resting at one price, oldest first, and their total remaining quantity."""

    __slots__ = ("price", "qty", "orders")

    def __init__(self, price: int) -> None:
        self.price = price
        self.qty = 0
        self.orders: dict[str, Order] = {}


class BookSide:
    """Bids (`is_bid`, best = highest) or asks (best = lowest).

    >>> asks = BookSide(is_bid=False)
    >>> asks.add(Order("a", "x", False, "limit", 101, 2, "GTC", None, False, "none", None, None, 1))
    2
    >>> asks.add(Order("b", "y", False, "limit", 100, 3, "GTC", None, False, "none", None, None, 2))
    3
    >>> asks.best, asks.depth(5)
    (100, [(100, 3), (101, 2)])
    """

    __slots__ = ("is_bid", "levels", "prices", "best", "_empty")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[int, Level] = {}
        self.prices = SortedList()
        self.best: int | None = None
        self._empty = 0

    def add(self, order: Order) -> int:
        """Queue `order` at the back of its price level; returns the level's new total quantity."""
        price = order.price
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = Level(price)
            self.prices.add(price)
        elif not level.orders:
            self._empty -= 1
        level.orders[order.order_id] = order
        level.qty += order.remaining
        best = self.best
        if best is None or (price > best if self.is_bid else price < best):
            self.best = price
        return level.qty

    def remove(self, order: Order) -> int:
        """Take `order` out of its level; returns the level's new total quantity."""
        level = self.levels[order.price]
        del level.orders[order.order_id]
        level.qty -= order.remaining
        if not level.orders:
            self.level_emptied(level.price)
        return level.qty

    def level_emptied(self, price: int) -> None:
        """Bookkeeping after the level at `price` lost its last order."""
        self._empty += 1
        if price == self.best:
            self.best = self.next_price(price)
        if self._empty > _SWEEP_MIN and 2 * self._empty > len(self.levels):
            self._sweep()

    def next_price(self, price: int) -> int | None:
        """The best non-empty level price strictly worse than `price`, or None."""
        levels = self.levels
        if self.is_bid:
            prices = self.prices.irange(maximum=price, inclusive=(True, False), reverse=True)
        else:
            prices = self.prices.irange(minimum=price, inclusive=(False, True))
        for candidate in prices:
            if levels[candidate].orders:
                return candidate
        return None

    def iter_levels(self):
        """Non-empty levels from the best price outwards."""
        levels = self.levels
        for price in (reversed(self.prices) if self.is_bid else self.prices):
            level = levels[price]
            if level.orders:
                yield level

    def depth(self, n: int) -> list[tuple[int, int]]:
        """The best `n` levels as (price, total quantity)."""
        out = []
        for level in self.iter_levels():
            if len(out) == n:
                break
            out.append((level.price, level.qty))
        return out

    def orders(self):
        """Every resting order, best level first, in time priority within a level."""
        for level in self.iter_levels():
            yield from level.orders.values()

    def fillable(self, order: Order, spec) -> bool:
        """Could this side fill all of `order` right now? The dry run of matching that FOK needs:
        same price limit, quote budget and self-trade prevention rules as the engine's `_take`."""
        need, budget, limit, is_buy = order.remaining, order.budget, order.price, order.is_buy
        stp, account, bps = order.stp, order.account, spec.taker_fee_bps
        for level in self.iter_levels():
            price = level.price
            if limit is not None and (price > limit if is_buy else price < limit):
                return False
            for maker in level.orders.values():
                if stp != STP_NONE and maker.account == account:
                    if stp == STP_CANCEL_OLDEST:
                        continue
                    return False
                qty = min(need, maker.remaining)
                if budget is not None:
                    qty = min(qty, spec.affordable_lots(price, budget, bps))
                    if qty == 0:
                        return False
                    notional = spec.notional(price, qty)
                    budget -= notional + spec.fee(notional, bps)
                need -= qty
                if need == 0:
                    return True
        return False

    def _sweep(self) -> None:
        live = {price: level for price, level in self.levels.items() if level.orders}
        self.levels = live
        self.prices = SortedList(live)
        self._empty = 0
