"""The account ledger: balances, holds and fees of one account, in double entry.

`AccountLedger` is the state of one account (the ledger flow is keyed by account and sees only that
account's commands and execution reports, in one ordered stream). `process(command)` returns a
`LedgerOutput`: the ledger events (journal entries and rejections, for `ledger.events`) and the
commands to forward to the matcher (for `orders.accepted`, keyed by symbol).

Money lives in buckets: a user account has `available` and `held` per asset. Every change is one
journal entry moving `amount` of one asset from one (account, bucket) to another, i.e. a pair of
journal lines that sum to zero. Three system accounts stand on the other side:
- `@external`: deposits come from it and withdrawals go to it (its balance is -(deposits - withdrawals));
- `@clearing`: each side of a trade settles against it on its own (the buyer's partition pays quote
  in and takes base out, the seller's the reverse), so it nets to zero once both sides are settled;
- `@fees`: receives maker and taker fees (always in the quote asset).
User accounts may not start with "@".

Holds (SPEC §3): a buy holds price x qty + the worst-case fee in quote (or its quote budget for a
market buy), a sell holds qty in base. The ledger keeps its own record of every open order (price,
remaining quantity, hold left), and after every report re-computes what the remainder still needs
and releases the rest; a finished order's hold goes to exactly zero. Charged fees round down and the
held fee rounds up, which is what makes the hold always cover the fills.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import NamedTuple

from matcher import codes
from matcher.commands import AmendOrder, CancelOrder, Deposit, PlaceOrder, Withdraw
from matcher.recent import RecentIds
from matcher.validation import check_place
from matcher.reports import ExecutionReport
from matcher.symbols import SymbolSpec

EXTERNAL = "@external"
CLEARING = "@clearing"
FEES = "@fees"
AVAILABLE = "available"
HELD = "held"


class LedgerInvariantError(RuntimeError):
    """A report asked for more than an order's hold: the matcher and the ledger disagree."""


class LedgerOutput(NamedTuple):
    events: list[tuple]  # journal entries and rejections, for `ledger.events`
    forward: list  # commands accepted here, for the matcher (`orders.accepted`)


class OrderHold:
    """The ledger's record of one open order of its account."""

    __slots__ = ("order_id", "symbol", "is_buy", "price", "qty", "filled", "remaining", "asset",
                 "hold_left", "budget", "pending")

    def __init__(self, order_id: str, symbol: str, is_buy: bool, price: int | None, qty: int, asset: str,
                 hold: int, budget: bool) -> None:
        self.order_id = order_id
        self.symbol = symbol
        self.is_buy = is_buy
        self.price = price
        self.qty = qty
        self.filled = 0
        self.remaining = qty
        self.asset = asset
        self.hold_left = hold
        self.budget = budget  # a market buy bounded by a quote budget: keeps its whole hold until done
        self.pending: list[list] = []  # amends sent to the matcher, not answered yet: [cmd_id, price, qty]

    def to_row(self) -> list:
        row = list(_HOLD_ROW(self))
        row.append([list(p) for p in self.pending] if self.pending else [])
        return row

    @classmethod
    def from_row(cls, row: list) -> OrderHold:
        order_id, symbol, is_buy, price, qty, filled, remaining, asset, hold_left, budget, pending = row
        record = cls(order_id, symbol, is_buy, price, qty, asset, hold_left, budget)
        record.filled, record.remaining, record.pending = filled, remaining, [list(p) for p in pending]
        return record


# the plain fields of `OrderHold.to_row`, read in one C call: snapshots take it for every open order
_HOLD_ROW = operator.attrgetter("order_id", "symbol", "is_buy", "price", "qty", "filled", "remaining", "asset",
                                "hold_left", "budget")


def journal(account: str, entry_id: str, ts_ns: int, reason: str, order_id: str | None, asset: str,
            amount: int, from_account: str, from_bucket: str, to_account: str, to_bucket: str) -> tuple:
    """A journal entry event: `amount` of `asset` moves from one (account, bucket) to another."""
    return ("journal", account, entry_id, ts_ns, reason, order_id, asset, amount,
            from_account, from_bucket, to_account, to_bucket)


def journal_lines(entry: tuple) -> list[tuple[str, str, str, int]]:
    """The two lines of a journal entry as (account, bucket, asset, signed amount); they sum to zero.

    >>> journal_lines(journal("alice", "d1:0", 0, "deposit", None, "USDT", 5, EXTERNAL, AVAILABLE,
    ...                       "alice", AVAILABLE))
    [('@external', 'available', 'USDT', -5), ('alice', 'available', 'USDT', 5)]
    """
    asset, amount = entry[6], entry[7]
    return [(entry[8], entry[9], asset, -amount), (entry[10], entry[11], asset, amount)]


class AccountLedger:
    """Balances, holds and open orders of one account.

    >>> spec = SymbolSpec("BTC-USDT", "BTC", "USDT", 8, 6, "0.01", "0.0001", taker_fee_bps=20)
    >>> ledger = AccountLedger("alice", {"BTC-USDT": spec})
    >>> _ = ledger.process(Deposit(cmd_id="d1", ts_ns=1, account="alice", asset="USDT", amount=10_000))
    >>> out = ledger.process(PlaceOrder(cmd_id="c1", ts_ns=2, account="alice", symbol="BTC-USDT",
    ...                                 order_id="b1", side="buy", price=100, qty=50))
    >>> [type(c).__name__ for c in out.forward], ledger.balance("USDT")
    (['PlaceOrder'], (4990, 5010))
    >>> ledger.process(PlaceOrder(cmd_id="c2", ts_ns=3, account="alice", symbol="BTC-USDT",
    ...                           order_id="b2", side="buy", price=100, qty=50)).events[0][-2:]
    ('b2', 'INSUFFICIENT_FUNDS')
    """

    __slots__ = ("account", "symbols", "available", "held", "orders", "seen_commands", "seen_orders",
                 "cursors")

    def __init__(self, account: str, symbols: Mapping[str, SymbolSpec]) -> None:
        self.account = account
        self.symbols = dict(symbols)
        self.available: dict[str, int] = {}
        self.held: dict[str, int] = {}
        self.orders: dict[str, OrderHold] = {}
        self.seen_commands = RecentIds()  # command ids applied lately (idempotency)
        self.seen_orders = RecentIds()  # order ids placed here lately (an id is never reused)
        self.cursors: dict[str, tuple[int, int]] = {}  # symbol -> (seq, part) of the last report applied

    def __getstate__(self) -> dict:
        """Pickle through the compact versioned form of `matcher.snapshot`."""
        from matcher.snapshot import ledger_to_dict

        return ledger_to_dict(self)

    def __setstate__(self, state: dict) -> None:
        from matcher.snapshot import ledger_from_dict

        restored = ledger_from_dict(state)
        for name in AccountLedger.__slots__:
            setattr(self, name, getattr(restored, name))

    def balance(self, asset: str) -> tuple[int, int]:
        """(available, held) units of `asset`."""
        return self.available.get(asset, 0), self.held.get(asset, 0)

    def process(self, command) -> LedgerOutput:
        """Apply one command or execution report; never raises for a business rejection."""
        if command.account != self.account:
            raise ValueError(f"{command.account!r} routed to the ledger of {self.account!r}")
        if type(command) is ExecutionReport:
            return LedgerOutput(self._report(command), [])
        kind = command.type
        if command.cmd_id in self.seen_commands:
            return self._reject(command, kind, codes.DUPLICATE)
        if self.seen_commands.is_stale(command.ts_ns):
            return self._reject(command, kind, codes.STALE)
        if self.account.startswith("@"):
            return self._reject(command, kind, codes.RESERVED_ACCOUNT)
        if kind == "place":
            out = self._place(command)
        elif kind == "cancel":
            out = self._cancel(command)
        elif kind == "amend":
            out = self._amend(command)
        elif kind == "deposit" or kind == "withdraw":
            out = self._transfer(command)
        else:
            raise TypeError(f"the ledger does not take {kind!r} commands")
        if out.forward or (out.events and out.events[0][0] == "journal"):
            self.seen_commands.add(command.cmd_id, command.ts_ns)
        return out

    # --- commands ------------------------------------------------------------------------------------
    def _transfer(self, c: Deposit | Withdraw) -> LedgerOutput:
        amount, asset = c.amount, c.asset
        if type(amount) is not int or amount <= 0 or not isinstance(asset, str) or not asset:
            return self._reject(c, c.type, codes.INVALID_AMOUNT)
        entry_id = f"{c.cmd_id}:0"
        if c.type == "deposit":
            self.available[asset] = self.available.get(asset, 0) + amount
            ev = journal(self.account, entry_id, c.ts_ns, "deposit", None, asset, amount, EXTERNAL, AVAILABLE,
                         self.account, AVAILABLE)
        else:
            if self.available.get(asset, 0) < amount:
                return self._reject(c, c.type, codes.INSUFFICIENT_FUNDS)
            self.available[asset] -= amount
            ev = journal(self.account, entry_id, c.ts_ns, "withdraw", None, asset, amount, self.account,
                         AVAILABLE, EXTERNAL, AVAILABLE)
        return LedgerOutput([ev], [])

    def _place(self, c: PlaceOrder) -> LedgerOutput:
        spec = self.symbols.get(c.symbol)
        if spec is None:
            return self._reject(c, "place", codes.UNKNOWN_SYMBOL)
        if c.order_id in self.seen_orders or c.order_id in self.orders:
            return self._reject(c, "place", codes.DUPLICATE)
        reason = check_place(spec, c, c.ts_ns)
        if reason is not None:
            return self._reject(c, "place", reason)
        is_buy = c.side == "buy"
        if not is_buy:
            asset, hold = spec.base, c.qty * spec.base_per_lot
        elif c.quote_budget is not None:
            asset, hold = spec.quote, c.quote_budget
        else:
            asset, hold = spec.quote, spec.buy_hold(c.price, c.qty)
        if self.available.get(asset, 0) < hold:
            return self._reject(c, "place", codes.INSUFFICIENT_FUNDS)
        self.seen_orders.add(c.order_id, c.ts_ns)
        self.orders[c.order_id] = OrderHold(c.order_id, c.symbol, is_buy, c.price, c.qty, asset, hold,
                                            is_buy and c.quote_budget is not None)
        events = [self._move(f"{c.cmd_id}:0", c.ts_ns, "hold", c.order_id, asset, hold, AVAILABLE, HELD)]
        return LedgerOutput(events, [c])

    def _finished_here(self, order_id: str) -> bool:
        """An order of this account that the ledger has already closed.

        A cancel or amend of such an order still goes to the book, which answers it: whether the
        order's last report reached the ledger before the command is a matter of timing, and the
        book's answer (and the sequence number it takes) must depend only on the book's own input.
        (An order closed longer ago than the dedupe window is forgotten: the ledger answers that
        one itself, long after any report could still be on its way.)
        """
        return order_id in self.seen_orders and order_id not in self.orders

    def _cancel(self, c: CancelOrder) -> LedgerOutput:
        if self._finished_here(c.order_id):
            return LedgerOutput([], [c])
        record = self.orders.get(c.order_id)
        if record is None or record.symbol != c.symbol:
            # Another account's order is unknown here too: a ledger partition sees only its own orders,
            # and not telling a stranger that an order id exists is what a user would want anyway.
            return self._reject(c, "cancel", codes.UNKNOWN_ORDER)
        return LedgerOutput([], [c])

    def _amend(self, c: AmendOrder) -> LedgerOutput:
        if self._finished_here(c.order_id):
            return LedgerOutput([], [c])
        record = self.orders.get(c.order_id)
        if record is None or record.symbol != c.symbol:
            return self._reject(c, "amend", codes.UNKNOWN_ORDER)
        spec = self.symbols[record.symbol]
        price = record.price if c.price is None else c.price
        qty = record.qty if c.qty is None else c.qty
        if record.budget:
            return self._reject(c, "amend", codes.INVALID_ORDER_TYPE)
        reason = spec.check_order(price, qty)
        if reason is None and qty <= record.filled:
            reason = codes.INVALID_QUANTITY
        if reason is not None:
            return self._reject(c, "amend", reason)
        need = self._need(spec, record, price, qty - record.filled)
        extra = need - record.hold_left
        events = []
        if extra > 0:
            if self.available.get(record.asset, 0) < extra:
                return self._reject(c, "amend", codes.INSUFFICIENT_FUNDS)
            record.hold_left += extra
            events.append(self._move(f"{c.cmd_id}:0", c.ts_ns, "hold", c.order_id, record.asset, extra,
                                     AVAILABLE, HELD))
        record.pending.append([c.cmd_id, price, qty])
        return LedgerOutput(events, [c])

    # --- execution reports ---------------------------------------------------------------------------
    def _report(self, r: ExecutionReport) -> list[tuple]:
        position = (r.seq, r.part)
        if position <= self.cursors.get(r.symbol, (0, -1)):
            return []  # a replay of a report already applied
        self.cursors[r.symbol] = position
        record = self.orders.get(r.order_id)
        if record is None:
            if r.kind == "fill":
                raise LedgerInvariantError(f"{self.account}: fill {r.report_id} for unknown order {r.order_id}")
            return []  # e.g. an amend answered after the order was done: nothing left to move
        spec = self.symbols[record.symbol]
        events: list[tuple] = []
        base = r.report_id
        kind = r.kind
        if kind == "fill":
            self._settle(spec, record, r, base, events)
        elif kind == "amended" or (kind == "rejected" and r.cmd_type == "amend"):
            record.pending = [p for p in record.pending if p[0] != r.cmd_id]
            if kind == "amended":
                record.price, record.qty, record.remaining = r.price, r.qty, r.remaining
        if r.done or record.remaining == 0:
            release = record.hold_left
            del self.orders[r.order_id]
        else:
            release = record.hold_left - self._required(spec, record)
        if release > 0:
            record.hold_left -= release
            events.append(self._move(f"{base}:{len(events)}", r.ts_ns, "release", r.order_id, record.asset,
                                     release, HELD, AVAILABLE))
        elif release < 0:
            raise LedgerInvariantError(f"{self.account}/{r.order_id}: hold short by {-release} after {base}")
        return events

    def _settle(self, spec: SymbolSpec, record: OrderHold, r: ExecutionReport, base: str, events: list) -> None:
        account, ts, order_id = self.account, r.ts_ns, r.order_id
        quote_qty, fee, base_qty = r.quote_qty, r.fee, r.qty * spec.base_per_lot
        record.filled += r.qty
        record.remaining = r.remaining
        if record.is_buy:
            spend = quote_qty + fee
            if spend > record.hold_left:
                raise LedgerInvariantError(f"{account}/{order_id}: fill {base} costs {spend}, "
                                           f"hold left {record.hold_left}")
            record.hold_left -= spend
            self.held[spec.quote] -= spend
            self.available[spec.base] = self.available.get(spec.base, 0) + base_qty
            legs = [(spec.quote, quote_qty, account, HELD, CLEARING, AVAILABLE, "settle"),
                    (spec.quote, fee, account, HELD, FEES, AVAILABLE, "fee"),
                    (spec.base, base_qty, CLEARING, AVAILABLE, account, AVAILABLE, "settle")]
        else:
            if base_qty > record.hold_left:
                raise LedgerInvariantError(f"{account}/{order_id}: fill {base} sells {base_qty}, "
                                           f"hold left {record.hold_left}")
            record.hold_left -= base_qty
            self.held[spec.base] -= base_qty
            self.available[spec.quote] = self.available.get(spec.quote, 0) + quote_qty - fee
            legs = [(spec.base, base_qty, account, HELD, CLEARING, AVAILABLE, "settle"),
                    (spec.quote, quote_qty, CLEARING, AVAILABLE, account, AVAILABLE, "settle"),
                    (spec.quote, fee, account, AVAILABLE, FEES, AVAILABLE, "fee")]
        for asset, amount, from_account, from_bucket, to_account, to_bucket, reason in legs:
            if amount:
                events.append(journal(account, f"{base}:{len(events)}", ts, reason, order_id, asset, amount,
                                      from_account, from_bucket, to_account, to_bucket))

    # --- holds ---------------------------------------------------------------------------------------
    def _need(self, spec: SymbolSpec, record: OrderHold, price: int | None, remaining: int) -> int:
        """The hold an open order with this price and remainder needs."""
        if not record.is_buy:
            return remaining * spec.base_per_lot
        return spec.buy_hold(price, remaining)

    def _required(self, spec: SymbolSpec, record: OrderHold) -> int:
        """What the record's remainder needs held now, covering amends still in flight."""
        if record.budget:
            return record.hold_left
        need = self._need(spec, record, record.price, record.remaining)
        for _, price, qty in record.pending:
            need = max(need, self._need(spec, record, price, qty - record.filled))
        return need

    def _move(self, entry_id: str, ts: int, reason: str, order_id: str, asset: str, amount: int,
              from_bucket: str, to_bucket: str) -> tuple:
        source = self.available if from_bucket == AVAILABLE else self.held
        target = self.held if to_bucket == HELD else self.available
        source[asset] = source.get(asset, 0) - amount
        target[asset] = target.get(asset, 0) + amount
        return journal(self.account, entry_id, ts, reason, order_id, asset, amount, self.account, from_bucket,
                       self.account, to_bucket)

    def _reject(self, c, cmd_type: str, reason: str) -> LedgerOutput:
        return LedgerOutput([("ledger_rejected", self.account, c.cmd_id, c.ts_ns, cmd_type,
                              getattr(c, "order_id", None), reason)], [])

