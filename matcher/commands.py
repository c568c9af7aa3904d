"""Commands: what enters the exchange core. Plain data, picklable; treat them as immutable.

They are not frozen dataclasses only because every flow decodes one per order, and a frozen
dataclass's `__init__` (a guarded `object.__setattr__` per field) costs three times a plain one.

Every command carries `cmd_id` (unique, chosen at intake; idempotency key) and `ts_ns` (event time in
integer nanoseconds, stamped once at intake; the only clock the core ever sees). Prices are ticks,
quantities lots, amounts the asset's smallest units (see `matcher.symbols`).

The ledger (keyed by account) receives `PlaceOrder`, `CancelOrder`, `AmendOrder`, `Deposit`,
`Withdraw` and `ExecutionReport` (see `matcher.reports`); it forwards accepted `PlaceOrder`,
`CancelOrder` and `AmendOrder` unchanged to the matcher (keyed by symbol), which also accepts
`AdvanceTime` to expire GTD orders when no other command arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from matcher.enums import GTC, LIMIT, STP_NONE


@dataclass(slots=True, kw_only=True)
class PlaceOrder:
    """A new order. `qty` is always the total quantity in lots.

    - limit: `price` is the limit.
    - market: a buy must be bounded, by `quote_budget` (quote units spent including fees) and/or a
      protection `price` (the worst price it may trade at); a sell may carry a protection `price`.
      Time in force IOC or FOK.
    - stop_limit / stop_market: wait until the symbol's last trade price reaches `stop_price`
      (buy: last >= stop, sell: last <= stop), then act as limit / market. GTC/GTD bound how long
      the stop waits; IOC/FOK apply once triggered.
    - `expire_ns` (GTD only): event time at which the order expires.
    - `post_only` (limit only): rejected if it would take.
    - `stp`: self-trade prevention mode of this order when it takes (see `matcher.enums`).

    >>> PlaceOrder(cmd_id="c1", ts_ns=1, account="alice", symbol="BTC-USDT", order_id="o1",
    ...            side="buy", price=100, qty=5).tif
    'GTC'
    """

    type: ClassVar[str] = "place"
    cmd_id: str
    ts_ns: int
    account: str
    symbol: str
    order_id: str
    side: str
    qty: int
    price: int | None = None
    order_type: str = LIMIT
    tif: str = GTC
    expire_ns: int | None = None
    post_only: bool = False
    stp: str = STP_NONE
    stop_price: int | None = None
    quote_budget: int | None = None


@dataclass(slots=True, kw_only=True)
class CancelOrder:
    """Cancel the remainder of a resting (or waiting stop) order.

    >>> CancelOrder(cmd_id="c2", ts_ns=2, account="alice", symbol="BTC-USDT", order_id="o1").type
    'cancel'
    """

    type: ClassVar[str] = "cancel"
    cmd_id: str
    ts_ns: int
    account: str
    symbol: str
    order_id: str


@dataclass(slots=True, kw_only=True)
class AmendOrder:
    """Change an order's limit `price` and/or total `qty` (None = unchanged).

    A quantity decrease at the same price keeps time priority; anything else re-queues the order at
    the back of its (new) level, and a re-priced order may trade at once. The new total quantity
    must exceed what is already filled.

    >>> AmendOrder(cmd_id="c3", ts_ns=3, account="alice", symbol="BTC-USDT", order_id="o1", qty=4).price
    """

    type: ClassVar[str] = "amend"
    cmd_id: str
    ts_ns: int
    account: str
    symbol: str
    order_id: str
    price: int | None = None
    qty: int | None = None


@dataclass(slots=True, kw_only=True)
class Deposit:
    """Credit `amount` units of `asset` to `account` (from outside the exchange).

    >>> Deposit(cmd_id="d1", ts_ns=0, account="alice", asset="USDT", amount=10**9).amount
    1000000000
    """

    type: ClassVar[str] = "deposit"
    cmd_id: str
    ts_ns: int
    account: str
    asset: str
    amount: int


@dataclass(slots=True, kw_only=True)
class Withdraw:
    """Debit `amount` units of `asset` from `account`'s available balance (to outside).

    >>> Withdraw(cmd_id="w1", ts_ns=9, account="alice", asset="USDT", amount=5).type
    'withdraw'
    """

    type: ClassVar[str] = "withdraw"
    cmd_id: str
    ts_ns: int
    account: str
    asset: str
    amount: int


@dataclass(slots=True, kw_only=True)
class AdvanceTime:
    """Tell a symbol's matcher that event time reached `ts_ns` (expires due GTD orders).

    >>> AdvanceTime(cmd_id="t1", ts_ns=10, symbol="BTC-USDT").type
    'advance_time'
    """

    type: ClassVar[str] = "advance_time"
    cmd_id: str
    ts_ns: int
    symbol: str


ORDER_COMMANDS = (PlaceOrder, CancelOrder, AmendOrder)
COMMAND_TYPES = (PlaceOrder, CancelOrder, AmendOrder, Deposit, Withdraw, AdvanceTime)
