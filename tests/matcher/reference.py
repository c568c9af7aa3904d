"""A deliberately simple reference matcher for differential tests.

Written independently of `matcher.engine`: one flat list of resting orders, every decision made by
filtering and sorting that list from scratch (O(n log n) per step), no caches, no lazy structures.
It covers limit and market orders, GTC/IOC/FOK/GTD, post-only, self-trade prevention, cancel and
amend; it reports fills as (maker_id, taker_id, price, qty). Stops are left out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RefOrder:
    order_id: str
    account: str
    side: str
    price: int | None
    qty: int
    filled: int
    time: int
    tif: str
    expire_ns: int | None
    post_only: bool
    stp: str
    budget: int | None
    is_market: bool

    @property
    def remaining(self) -> int:
        return self.qty - self.filled


class ReferenceMatcher:
    def __init__(self, maker_bps: int, taker_bps: int, unit: int) -> None:
        self.maker_bps, self.taker_bps, self.unit = maker_bps, taker_bps, unit
        self.resting: list[RefOrder] = []
        self.ids: set[str] = set()
        self.time = 0
        self.now = 0
        self.fills: list[tuple[str, str, int, int]] = []

    # --- helpers ---
    def _cost(self, price: int, qty: int) -> int:
        notional = price * qty * self.unit
        return notional + notional * self.taker_bps // 10_000

    def _opposite_queue(self, order: RefOrder) -> list[RefOrder]:
        other = "sell" if order.side == "buy" else "buy"
        queue = [o for o in self.resting if o.side == other]
        if other == "sell":
            queue.sort(key=lambda o: (o.price, o.time))
        else:
            queue.sort(key=lambda o: (-o.price, o.time))
        return queue

    def _crosses(self, order: RefOrder, price: int) -> bool:
        if order.price is None:
            return True
        return price <= order.price if order.side == "buy" else price >= order.price

    def _tick(self, ts: int) -> None:
        self.now = max(self.now, ts)
        self.resting = [o for o in self.resting if o.expire_ns is None or o.expire_ns > self.now]

    def _fillable(self, order: RefOrder) -> bool:
        need, budget = order.remaining, order.budget
        for maker in self._opposite_queue(order):
            if not self._crosses(order, maker.price):
                break
            if order.stp != "none" and maker.account == order.account:
                if order.stp == "cancel_oldest":
                    continue
                return False
            qty = min(need, maker.remaining)
            if budget is not None:
                while qty > 0 and self._cost(maker.price, qty) > budget:
                    qty -= 1
                if qty == 0:
                    return False
                budget -= self._cost(maker.price, qty)
            need -= qty
            if need == 0:
                return True
        return False

    def _take(self, order: RefOrder) -> bool:
        """Match; True if the taker's remainder may rest (not killed by self-trade prevention)."""
        for maker in self._opposite_queue(order):
            if order.remaining == 0 or not self._crosses(order, maker.price):
                break
            if order.stp != "none" and maker.account == order.account:
                if order.stp in ("cancel_oldest", "cancel_both"):
                    self.resting.remove(maker)
                if order.stp in ("cancel_newest", "cancel_both"):
                    return False
                continue
            qty = wanted = min(order.remaining, maker.remaining)
            if order.budget is not None:
                while qty > 0 and self._cost(maker.price, qty) > order.budget:
                    qty -= 1
                if qty == 0:
                    return False
                order.budget -= self._cost(maker.price, qty)
            maker.filled += qty
            order.filled += qty
            self.fills.append((maker.order_id, order.order_id, maker.price, qty))
            if maker.remaining == 0:
                self.resting.remove(maker)
            if qty < wanted:  # the budget ran out
                return False
        return True

    def _rest_or_drop(self, order: RefOrder, alive: bool) -> None:
        if alive and order.remaining > 0 and not order.is_market and order.tif in ("GTC", "GTD"):
            self.time += 1
            order.time = self.time
            self.resting.append(order)

    # --- commands ---
    def place(self, c) -> None:
        self._tick(c.ts_ns)
        if c.order_id in self.ids:
            return
        self.ids.add(c.order_id)
        order = RefOrder(c.order_id, c.account, c.side, c.price, c.qty, 0, 0, c.tif, c.expire_ns, c.post_only,
                         c.stp, c.quote_budget, c.order_type == "market")
        queue = self._opposite_queue(order)
        if c.post_only and queue and self._crosses(order, queue[0].price):
            return
        if c.tif == "FOK" and not self._fillable(order):
            return
        self._rest_or_drop(order, self._take(order))

    def cancel(self, c) -> None:
        self._tick(c.ts_ns)
        self.resting = [o for o in self.resting if not (o.order_id == c.order_id and o.account == c.account)]

    def amend(self, c) -> None:
        self._tick(c.ts_ns)
        found = [o for o in self.resting if o.order_id == c.order_id and o.account == c.account]
        if not found:
            return
        order = found[0]
        price = order.price if c.price is None else c.price
        qty = order.qty if c.qty is None else c.qty
        if (price, qty) == (order.price, order.qty) or qty <= order.filled or price <= 0:
            return
        if price == order.price and qty - order.filled <= order.remaining:
            order.qty = qty
            return
        queue = self._opposite_queue(order)
        probe = RefOrder(order.order_id, order.account, order.side, price, qty, 0, 0, "GTC", None, False, "none",
                         None, False)
        if order.post_only and queue and self._crosses(probe, queue[0].price):
            return
        self.resting.remove(order)
        order.price, order.qty = price, qty
        self._rest_or_drop(order, self._take(order))

    def process(self, c) -> None:
        getattr(self, c.type if c.type != "advance_time" else "_advance")(c)

    def _advance(self, c) -> None:
        self._tick(c.ts_ns)

    def depth(self) -> dict[str, list[tuple[int, int]]]:
        out = {}
        for side, key in (("buy", "bids"), ("sell", "asks")):
            levels: dict[int, int] = {}
            for o in self.resting:
                if o.side == side:
                    levels[o.price] = levels.get(o.price, 0) + o.remaining
            out[key] = sorted(levels.items(), reverse=(side == "buy"))
        return out
