"""Execution reports: what the matcher tells each account's ledger about its orders.

The matching flow turns every batch of matcher events into reports with `execution_reports(events)`
and writes each to `account.commands` keyed by `report.account`; the ledger settles fills and
releases holds from them. A report is identified by `(symbol, seq, part)`: the matcher event's
sequence number, and `part` 0 (maker side of a trade, or the only report of other events) or 1 (the
taker side). Per account and symbol they arrive in increasing order, so the ledger drops replays by
remembering the last one it applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from matcher import codes
from matcher.enums import MAKER, TAKER

FILL = "fill"
AMENDED = "amended"
CANCELLED = "cancelled"
EXPIRED = "expired"
REJECTED = "rejected"


@dataclass(slots=True, kw_only=True)
class ExecutionReport:
    """One change to one order, for its owner's ledger.

    `remaining` is what the order still has open afterwards and `done` says it is finished (filled,
    cancelled, expired or rejected), so the ledger can release its whole remaining hold. Fill fields:
    `price`, `qty`, `quote_qty` (price x qty in quote units), `fee` (quote units, this side's),
    `liquidity` (maker/taker). Amend fields: `price`, `qty` (new total), `cmd_id`. Reject fields:
    `cmd_id`, `cmd_type` (place/cancel/amend), `reason`.

    Treat it as immutable. It is not a frozen dataclass only because the matching flow builds one or
    two per matcher event, and a frozen dataclass's `__init__` costs several times a plain one.

    >>> ExecutionReport(symbol="BTC-USDT", seq=7, part=1, ts_ns=5, account="alice", order_id="b1",
    ...                 kind="fill", price=100, qty=2, quote_qty=200, fee=0, liquidity="taker",
    ...                 remaining=0, done=True).report_id
    'BTC-USDT:7:1'
    """

    type: ClassVar[str] = "report"
    symbol: str
    seq: int
    part: int
    ts_ns: int
    account: str
    order_id: str
    kind: str
    remaining: int
    done: bool
    price: int | None = None
    qty: int | None = None
    quote_qty: int | None = None
    fee: int | None = None
    liquidity: str | None = None
    cmd_id: str | None = None
    cmd_type: str | None = None
    reason: str | None = None

    @property
    def report_id(self) -> str:
        return f"{self.symbol}:{self.seq}:{self.part}"


def execution_reports(events: list[tuple]) -> list[ExecutionReport]:
    """The per-account reports a batch of matcher events implies, in event order.

    Events that change no account's money (accepted, rested, triggered, book_delta) give none; a
    place rejected as DUPLICATE gives none either (the original order is still live, and its hold
    must not be released by the replay).
    """
    out: list[ExecutionReport] = []
    for ev in events:
        kind = ev[0]
        if kind == "trade":
            (_, symbol, seq, ts, price, qty, quote_qty, _, maker_id, maker_account, maker_fee, maker_remaining,
             taker_id, taker_account, taker_fee, taker_remaining) = ev
            out.append(ExecutionReport(symbol=symbol, seq=seq, part=0, ts_ns=ts, account=maker_account,
                                       order_id=maker_id, kind=FILL, remaining=maker_remaining,
                                       done=maker_remaining == 0, price=price, qty=qty, quote_qty=quote_qty,
                                       fee=maker_fee, liquidity=MAKER))
            out.append(ExecutionReport(symbol=symbol, seq=seq, part=1, ts_ns=ts, account=taker_account,
                                       order_id=taker_id, kind=FILL, remaining=taker_remaining,
                                       done=taker_remaining == 0, price=price, qty=qty, quote_qty=quote_qty,
                                       fee=taker_fee, liquidity=TAKER))
        elif kind == "amended":
            _, symbol, seq, ts, order_id, account, price, qty, remaining, _, cmd_id = ev
            out.append(ExecutionReport(symbol=symbol, seq=seq, part=0, ts_ns=ts, account=account,
                                       order_id=order_id, kind=AMENDED, remaining=remaining, done=False,
                                       price=price, qty=qty, cmd_id=cmd_id))
        elif kind == "cancelled" or kind == "expired":
            _, symbol, seq, ts, order_id, account, remaining = ev[:7]
            out.append(ExecutionReport(symbol=symbol, seq=seq, part=0, ts_ns=ts, account=account,
                                       order_id=order_id, kind=kind, remaining=0, done=True,
                                       reason=ev[7] if kind == "cancelled" else None, qty=remaining))
        elif kind == "rejected":
            _, symbol, seq, ts, cmd_id, cmd_type, order_id, account, reason, remaining = ev
            if cmd_type == "place" and reason == codes.DUPLICATE:
                continue
            is_place = cmd_type == "place"
            out.append(ExecutionReport(symbol=symbol, seq=seq, part=0, ts_ns=ts, account=account,
                                       order_id=order_id, kind=REJECTED, remaining=0 if is_place else remaining,
                                       done=is_place, cmd_id=cmd_id, cmd_type=cmd_type, reason=reason))
    return out
