"""The matching engine of one symbol: commands in, a deterministic list of events out.

`MatchingEngine.process(command)` is the whole contract: it applies a `PlaceOrder`, `CancelOrder`,
`AmendOrder` or `AdvanceTime` to the symbol's book and returns the events it caused (see
`matcher.events`), numbered by the symbol's sequence. Nothing else changes the book and nothing is
read from outside the command (no clock, no randomness), so the same commands always produce the same
events. Rules (SPEC §5): price-time priority, trades at the resting order's price, stops trigger on the
last trade price in sequence order, GTD orders expire by event time (checked before each command).
"""

from __future__ import annotations

import heapq

from sortedcontainers import SortedList

from matcher import codes
from matcher.book import BookSide, Order
from matcher.recent import RecentIds
from matcher.enums import (BUY, FOK, GTD, LIMIT, RESTING_TIFS, SELL, STOP_LIMIT, STOP_MARKET, STP_CANCEL_NEWEST,
                           STP_CANCEL_OLDEST, STP_NONE)
from matcher.symbols import BPS, MAX_INT, SymbolSpec
from matcher.validation import check_place

_BOOK_TYPES = (LIMIT, STOP_LIMIT)  # order types whose remainder may rest in the book


class MatchingEngine:
    """Book, stops and expiries of one symbol, and the rules that move them.

    >>> from matcher.commands import PlaceOrder
    >>> spec = SymbolSpec("BTC-USDT", "BTC", "USDT", 8, 6, "0.01", "0.0001")
    >>> engine = MatchingEngine(spec)
    >>> _ = engine.process(PlaceOrder(cmd_id="c1", ts_ns=1, account="bob", symbol="BTC-USDT",
    ...                               order_id="s1", side="sell", price=100, qty=5))
    >>> events = engine.process(PlaceOrder(cmd_id="c2", ts_ns=2, account="alice", symbol="BTC-USDT",
    ...                                    order_id="b1", side="buy", price=101, qty=2))
    >>> [e[0] for e in events]
    ['accepted', 'trade', 'book_delta']
    >>> events[1][4:8]  # price (the maker's), qty, quote_qty, taker side
    (100, 2, 200, 'buy')
    >>> engine.depth(5)
    {'bids': [], 'asks': [(100, 3)]}
    """

    __slots__ = ("spec", "symbol", "bids", "asks", "orders", "stops", "buy_stops", "sell_stops",
                 "expiries", "seen", "seq", "last_price", "now_ns", "swept")

    def __init__(self, spec: SymbolSpec) -> None:
        self.spec = spec
        self.symbol = spec.symbol
        self.bids = BookSide(is_bid=True)
        self.asks = BookSide(is_bid=False)
        self.orders: dict[str, Order] = {}  # orders resting in the book
        self.stops: dict[str, Order] = {}  # stop orders waiting for their trigger
        self.buy_stops = SortedList()  # (stop_price, seq, order_id); trigger when last >= stop
        self.sell_stops = SortedList()  # trigger when last <= stop
        self.expiries: list[tuple[int, int, str]] = []  # heap of (expire_ns, seq, order_id), lazy
        self.seen = RecentIds()  # order ids accepted or rejected here lately (dedupe)
        self.seq = 0  # last event sequence number of this symbol
        self.last_price: int | None = None
        self.now_ns = 0  # event time: the largest command timestamp seen
        self.swept: tuple[int, int] | None = None  # (low, high) trade prices not yet checked against stops

    # --- entry point ---------------------------------------------------------------------------------
    def process(self, command) -> list[tuple]:
        """Apply one command; return its events (possibly several; never raises for business errors)."""
        kind = command.type
        if kind != "amend":
            if kind == "place":
                return self.place(command)
            if kind == "cancel":
                return self.cancel(command)
            if kind == "advance_time":
                return self.advance_time(command)
            raise TypeError(f"the matcher does not take {kind!r} commands")
        # Fast path (the bulk of a busy book's traffic): re-price a resting order, same quantity, not
        # crossing; it loses time priority. Same events as the general path (`_amend`), without its
        # detours: this method is most of the benchmark's time, so it is written for speed.
        events = None
        ts = command.ts_ns
        if ts > self.now_ns:
            self.now_ns = ts
            if self.expiries and self.expiries[0][0] <= ts:
                events = []
                self._expire(events, ts)
        order = self.orders.get(command.order_id)
        price = command.price
        if (order is None or command.qty is not None or type(price) is not int or price == order.price
                or order.account != command.account or not 0 < price < MAX_INT):
            return self._amend(command, order, events or [], ts)
        if order.is_buy:
            best = self.asks.best
            if best is not None and best <= price:
                return self._amend(command, order, events or [], ts)
            is_buy = True
            side = self.bids
            side_name = BUY
        else:
            best = self.bids.best
            if best is not None and best >= price:
                return self._amend(command, order, events or [], ts)
            is_buy = False
            side = self.asks
            side_name = SELL
        spec = self.spec
        if spec.min_notional and price * order.qty * spec.quote_per_tick_lot < spec.min_notional:
            return self._amend(command, order, events or [], ts)
        remaining = order.remaining
        old_price = order.price
        order_id = order.order_id
        levels = side.levels
        level = levels[old_price]
        queue = level.orders
        del queue[order_id]
        level.qty = old_qty = level.qty - remaining
        if not queue:
            side.level_emptied(old_price)
            levels = side.levels  # an empty-level sweep may have replaced the dict
        order.price = price
        level = levels.get(price)  # BookSide.add, inlined
        if level is not None and level.orders:
            level.orders[order_id] = order
            level.qty = new_qty = level.qty + remaining
            if price > side.best if is_buy else price < side.best:
                side.best = price
        else:
            new_qty = side.add(order)
        symbol = self.symbol
        seq = self.seq
        self.seq = seq + 3
        out = [("amended", symbol, seq + 1, ts, order_id, order.account, price, order.qty, remaining, False,
                command.cmd_id),
               ("book_delta", symbol, seq + 2, ts, side_name, old_price, old_qty),
               ("book_delta", symbol, seq + 3, ts, side_name, price, new_qty)]
        if events:
            events.extend(out)
            return events
        return out

    def advance_time(self, command) -> list[tuple]:
        events: list[tuple] = []
        ts = command.ts_ns
        if ts > self.now_ns:
            self.now_ns = ts
            if self.expiries and self.expiries[0][0] <= ts:
                self._expire(events, ts)
        return events

    def place(self, command) -> list[tuple]:
        events = self.advance_time(command)  # GTD orders due before this command expire first
        ts = command.ts_ns
        if command.symbol != self.symbol:
            reason = codes.UNKNOWN_SYMBOL
        elif command.order_id in self.seen or command.order_id in self.orders or command.order_id in self.stops:
            reason = codes.DUPLICATE
        elif self.seen.is_stale(ts):
            reason = codes.STALE
        else:
            reason = check_place(self.spec, command, self.now_ns)
        if reason is not None:
            if reason != codes.DUPLICATE and reason != codes.STALE:
                self.seen.add(command.order_id, ts)
            return self._reject(events, command, "place", reason, command.qty, ts)
        is_buy = command.side == BUY
        order = Order(command.order_id, command.account, is_buy, command.order_type, command.price,
                      command.qty, command.tif, command.expire_ns, command.post_only, command.stp,
                      command.stop_price, command.quote_budget, self.seq + 1)
        self.seen.add(order.order_id, ts)
        order_type = order.order_type
        is_stop = order_type == STOP_LIMIT or order_type == STOP_MARKET
        if not is_stop:
            if order.tif == FOK and not (self.asks if order.is_buy else self.bids).fillable(order, self.spec):
                return self._reject(events, command, "place", codes.FOK_NOT_FILLABLE, order.qty, ts)
            if order.post_only and self._crosses(is_buy, order.price):
                return self._reject(events, command, "place", codes.POST_ONLY_WOULD_TAKE, order.qty, ts)
        self.seq = seq = self.seq + 1
        events.append(("accepted", self.symbol, seq, ts, order.order_id, order.account, command.side,
                       order_type, order.tif, order.price, order.qty, order.stop_price))
        last = self.last_price
        if is_stop:
            if last is not None and (last >= order.stop_price if is_buy else last <= order.stop_price):
                self._trigger([order], events, ts)
            else:
                self._wait(order)
        else:
            self._enter(order, events, ts, True)
        if self.swept is not None:
            self._run_stops(events, ts)
        return events

    def cancel(self, command) -> list[tuple]:
        events = self.advance_time(command)  # GTD orders due before this command expire first
        ts = command.ts_ns
        order_id = command.order_id
        order = self.orders.get(order_id) or self.stops.get(order_id)
        if order is None:
            return self._reject(events, command, "cancel", codes.UNKNOWN_ORDER, 0, ts)
        if order.account != command.account:
            return self._reject(events, command, "cancel", codes.NOT_OWNER, order.remaining, ts)
        self._remove(order, events, ts, "cancelled", codes.CANCELLED_BY_USER)
        return events

    def amend(self, command) -> list[tuple]:
        """Apply an `AmendOrder` (the fast path of the common re-price lives in `process`)."""
        return self.process(command)

    def _amend(self, command, order: Order | None, events: list, ts: int) -> list[tuple]:
        """Every amend the fast path does not take: checks, stops, quantity changes, crossing."""
        if order is None:
            order = self.stops.get(command.order_id)
            if order is None:
                return self._reject(events, command, "amend", codes.UNKNOWN_ORDER, 0, ts)
        if order.account != command.account:
            return self._reject(events, command, "amend", codes.NOT_OWNER, order.remaining, ts)
        old_price = order.price
        price = command.price
        if price is None:
            price = old_price
        qty = command.qty
        if qty is None:
            qty = order.qty
        if price == old_price and qty == order.qty:
            return self._reject(events, command, "amend", codes.AMEND_NO_CHANGE, order.remaining, ts)
        remaining = qty - order.filled
        reason = self.spec.check_order(price, qty)
        if reason is None and remaining <= 0:
            reason = codes.INVALID_QUANTITY
        if reason is not None:
            return self._reject(events, command, "amend", reason, order.remaining, ts)
        symbol = self.symbol
        if order.order_id in self.stops:  # a waiting stop: nothing in the book moves
            order.price, order.qty, order.remaining = price, qty, remaining
            self.seq = seq = self.seq + 1
            events.append(("amended", symbol, seq, ts, order.order_id, order.account, price, qty, remaining,
                           True, command.cmd_id))
            return events
        is_buy = order.is_buy
        side = self.bids if is_buy else self.asks
        if price == old_price and remaining <= order.remaining:  # a decrease keeps time priority
            level = side.levels[price]
            level.qty -= order.remaining - remaining
            order.qty, order.remaining = qty, remaining
            self.seq = seq = self.seq + 2
            events.append(("amended", symbol, seq - 1, ts, order.order_id, order.account, price, qty,
                           remaining, True, command.cmd_id))
            events.append(("book_delta", symbol, seq, ts, BUY if is_buy else SELL, price, level.qty))
            return events
        if order.post_only and self._crosses(is_buy, price):
            return self._reject(events, command, "amend", codes.POST_ONLY_WOULD_TAKE, order.remaining, ts)
        level_qty = side.remove(order)
        order.price, order.qty, order.remaining = price, qty, remaining
        self.seq = seq = self.seq + 1
        events.append(("amended", symbol, seq, ts, order.order_id, order.account, price, qty, remaining, False,
                       command.cmd_id))
        if price != old_price:
            self.seq = seq = seq + 1
            events.append(("book_delta", symbol, seq, ts, BUY if is_buy else SELL, old_price, level_qty))
        opposite_best = self.asks.best if is_buy else self.bids.best
        if opposite_best is not None and (opposite_best <= price if is_buy else opposite_best >= price):
            del self.orders[order.order_id]
            self._enter(order, events, ts, False)
            if self.swept is not None:
                self._run_stops(events, ts)
        else:
            level_qty = side.add(order)
            self.seq = seq = seq + 1
            events.append(("book_delta", symbol, seq, ts, BUY if is_buy else SELL, price, level_qty))
        return events

    # --- state -------------------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        """Pickle (Bytewax state snapshots) through the compact versioned form of `matcher.snapshot`."""
        from matcher.snapshot import engine_to_dict

        return engine_to_dict(self)

    def __setstate__(self, state: dict) -> None:
        from matcher.snapshot import engine_from_dict

        restored = engine_from_dict(state)
        for name in MatchingEngine.__slots__:
            setattr(self, name, getattr(restored, name))

    # --- views ---------------------------------------------------------------------------------------
    def depth(self, n: int = 10) -> dict[str, list[tuple[int, int]]]:
        """L2: the best `n` levels per side as (price ticks, total lots)."""
        return {"bids": self.bids.depth(n), "asks": self.asks.depth(n)}

    def order(self, order_id: str) -> Order | None:
        """A live order (resting or waiting stop) by id."""
        return self.orders.get(order_id) or self.stops.get(order_id)

    # --- checks --------------------------------------------------------------------------------------
    def _crosses(self, is_buy: bool, price: int) -> bool:
        best = self.asks.best if is_buy else self.bids.best
        return best is not None and (best <= price if is_buy else best >= price)

    # --- the moves -----------------------------------------------------------------------------------
    def _enter(self, order: Order, events: list, ts: int, is_new: bool) -> None:
        """An active order arrives: take what crosses, then rest or cancel the remainder."""
        best = self.asks.best if order.is_buy else self.bids.best
        limit = order.price
        if best is not None and (limit is None or (best <= limit if order.is_buy else best >= limit)):
            killed = self._take(order, events, ts)
        else:
            killed = False
        if not order.remaining:
            return
        if not killed and order.tif in RESTING_TIFS and order.order_type in _BOOK_TYPES:
            side = self.bids if order.is_buy else self.asks
            level_qty = side.add(order)
            self.orders[order.order_id] = order
            symbol = self.symbol
            self.seq = seq = self.seq + 1
            side_name = BUY if order.is_buy else SELL
            if is_new:
                events.append(("rested", symbol, seq, ts, order.order_id, order.account, side_name,
                               order.price, order.remaining))
                self.seq = seq = seq + 1
            events.append(("book_delta", symbol, seq, ts, side_name, order.price, level_qty))
            if is_new and order.tif == GTD:
                heapq.heappush(self.expiries, (order.expire_ns, order.seq, order.order_id))
            return
        reason = codes.CANCELLED_STP if killed else codes.CANCELLED_IOC
        self.seq = seq = self.seq + 1
        events.append(("cancelled", self.symbol, seq, ts, order.order_id, order.account, order.remaining,
                       reason))

    def _take(self, order: Order, events: list, ts: int) -> bool:
        """Match `order` against the opposite side; True if self-trade prevention killed its remainder."""
        is_buy = order.is_buy
        opposite = self.asks if is_buy else self.bids
        limit = order.price
        spec = self.spec
        unit = spec.quote_per_tick_lot
        maker_bps, taker_bps = spec.maker_fee_bps, spec.taker_fee_bps
        stp = order.stp
        stp_on = stp != STP_NONE
        account = order.account
        taker_id = order.order_id
        taker_side, maker_side = (BUY, SELL) if is_buy else (SELL, BUY)
        budget = order.budget
        book_orders = self.orders
        symbol = self.symbol
        seq = self.seq
        first = last = None
        killed = False
        append = events.append
        while order.remaining:
            price = opposite.best
            if price is None or (limit is not None and (price > limit if is_buy else price < limit)):
                break
            level = opposite.levels[price]
            queue = level.orders
            gone = []
            removed = 0
            halt = False
            for maker in queue.values():
                if stp_on and maker.account == account:
                    if stp != STP_CANCEL_NEWEST:  # oldest or both: the resting order goes
                        gone.append(maker)
                        removed += maker.remaining
                        seq += 1
                        append(("cancelled", symbol, seq, ts, maker.order_id, maker.account, maker.remaining,
                                codes.CANCELLED_STP))
                    if stp != STP_CANCEL_OLDEST:  # newest or both: the incoming order stops here
                        killed = halt = True
                        break
                    continue
                remaining = order.remaining
                qty = maker.remaining
                if remaining < qty:
                    qty = remaining
                if budget is not None:
                    affordable = spec.affordable_lots(price, budget, taker_bps)
                    if affordable < qty:
                        qty = affordable
                        halt = True
                        if not qty:
                            break
                notional = price * qty * unit
                taker_fee = notional * taker_bps // BPS
                if budget is not None:
                    budget -= notional + taker_fee
                maker.remaining -= qty
                maker.filled += qty
                order.remaining = remaining = remaining - qty
                order.filled += qty
                removed += qty
                if first is None:
                    first = price
                last = price
                seq += 1
                append(("trade", symbol, seq, ts, price, qty, notional, taker_side,
                        maker.order_id, maker.account, notional * maker_bps // BPS, maker.remaining,
                        taker_id, account, taker_fee, remaining))
                if not maker.remaining:
                    gone.append(maker)
                if not remaining or halt:
                    break
            for maker in gone:
                del queue[maker.order_id]
                del book_orders[maker.order_id]
            if removed:
                level.qty -= removed
                seq += 1
                append(("book_delta", symbol, seq, ts, maker_side, price, level.qty))
            if not queue:
                opposite.level_emptied(price)
            if halt:
                break
        self.seq = seq
        if budget is not None:
            order.budget = budget
        if last is not None:
            self.last_price = last
            low, high = (first, last) if first <= last else (last, first)
            swept = self.swept
            self.swept = (low, high) if swept is None else (min(low, swept[0]), max(high, swept[1]))
        return killed

    def _remove(self, order: Order, events: list, ts: int, kind: str, reason: str | None) -> None:
        """Take a live order out (cancel or expiry) and say so."""
        order_id = order.order_id
        symbol = self.symbol
        if order_id in self.stops:
            del self.stops[order_id]
            (self.buy_stops if order.is_buy else self.sell_stops).remove((order.stop_price, order.seq, order_id))
            level_qty = None
        else:
            side = self.bids if order.is_buy else self.asks
            level_qty = side.remove(order)
            del self.orders[order_id]
        self.seq = seq = self.seq + 1
        if kind == "cancelled":
            events.append(("cancelled", symbol, seq, ts, order_id, order.account, order.remaining, reason))
        else:
            events.append(("expired", symbol, seq, ts, order_id, order.account, order.remaining))
        if level_qty is not None:
            self.seq = seq = seq + 1
            events.append(("book_delta", symbol, seq, ts, BUY if order.is_buy else SELL, order.price, level_qty))

    # --- stops and time ------------------------------------------------------------------------------
    def _wait(self, order: Order) -> None:
        self.stops[order.order_id] = order
        (self.buy_stops if order.is_buy else self.sell_stops).add((order.stop_price, order.seq, order.order_id))
        if order.tif == GTD:
            heapq.heappush(self.expiries, (order.expire_ns, order.seq, order.order_id))

    def _run_stops(self, events: list, ts: int) -> None:
        """Trigger, in sequence order, every waiting stop that a trade price since the last check
        reached (each trade was the last trade price in its turn), until no new trade reaches one."""
        if not (self.buy_stops or self.sell_stops):
            self.swept = None
            return
        while self.swept is not None:
            low_price, high_price = self.swept
            self.swept = None
            buys, sells = self.buy_stops, self.sell_stops
            hit = buys.bisect_left((high_price + 1,))
            low = sells.bisect_left((low_price,))
            if not hit and low == len(sells):
                return
            batch = [self.stops.pop(order_id) for _, _, order_id in buys[:hit]]
            batch += [self.stops.pop(order_id) for _, _, order_id in sells[low:]]
            del buys[:hit]
            del sells[low:]
            batch.sort(key=_by_seq)
            self._trigger(batch, events, ts)

    def _trigger(self, batch: list[Order], events: list, ts: int) -> None:
        symbol = self.symbol
        last = self.last_price
        for order in batch:
            self.seq = seq = self.seq + 1
            events.append(("triggered", symbol, seq, ts, order.order_id, order.account, order.stop_price, last))
        for order in batch:
            if order.tif == FOK and not (self.asks if order.is_buy else self.bids).fillable(order, self.spec):
                self.seq = seq = self.seq + 1
                events.append(("cancelled", symbol, seq, ts, order.order_id, order.account, order.remaining,
                               codes.FOK_NOT_FILLABLE))
                continue
            self._enter(order, events, ts, True)

    def _expire(self, events: list, ts: int) -> None:
        """Expire every GTD order due by event time `self.now_ns` (callers advance it first)."""
        now = self.now_ns
        expiries = self.expiries
        while expiries and expiries[0][0] <= now:
            _, seq, order_id = heapq.heappop(expiries)
            order = self.orders.get(order_id) or self.stops.get(order_id)
            if order is not None and order.seq == seq:
                self._remove(order, events, ts, "expired", None)

    def _reject(self, events: list, command, cmd_type: str, reason: str, remaining: int, ts: int) -> list:
        self.seq = seq = self.seq + 1
        events.append(("rejected", self.symbol, seq, ts, command.cmd_id, cmd_type, command.order_id,
                       command.account, reason, remaining))
        return events


def _by_seq(order: Order) -> int:
    return order.seq
