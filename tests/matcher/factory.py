"""Command factory for matcher tests: unique ids and increasing event times without boilerplate."""

from __future__ import annotations

from matcher.commands import AdvanceTime, AmendOrder, CancelOrder, Deposit, PlaceOrder, Withdraw
from matcher.symbols import SymbolSpec

SYMBOL = "BTC-USDT"


def make_spec(**overrides) -> SymbolSpec:
    """BTC-USDT: tick 0.01 USDT, lot 0.0001 BTC, so one tick x one lot is 1 USDT unit (1e-6)."""
    fields = dict(symbol=SYMBOL, base="BTC", quote="USDT", base_decimals=8, quote_decimals=6,
                  tick_size="0.01", lot_size="0.0001", min_qty_lots=1, min_notional=0,
                  maker_fee_bps=10, taker_fee_bps=20)
    fields.update(overrides)
    return SymbolSpec(**fields)


class Commands:
    """Builds commands; every call gets the next command id and a later timestamp (1000 ns apart)."""

    def __init__(self, symbol: str = SYMBOL, prefix: str = "") -> None:
        self.symbol = symbol
        self.prefix = prefix
        self.n = 0
        self.ts_ns = 0

    def _next(self, ts_ns: int | None) -> tuple[str, int]:
        self.n += 1
        self.ts_ns = ts_ns if ts_ns is not None else self.ts_ns + 1000
        return f"{self.prefix}c{self.n}", self.ts_ns

    def place(self, account: str, side: str, qty: int, price: int | None = None, *, order_id: str | None = None,
              ts_ns: int | None = None, **fields) -> PlaceOrder:
        cmd_id, ts = self._next(ts_ns)
        return PlaceOrder(cmd_id=cmd_id, ts_ns=ts, account=account, symbol=fields.pop("symbol", self.symbol),
                          order_id=order_id or f"{self.prefix}o{self.n}", side=side, price=price, qty=qty, **fields)

    def buy(self, account: str, qty: int, price: int | None = None, **fields) -> PlaceOrder:
        return self.place(account, "buy", qty, price, **fields)

    def sell(self, account: str, qty: int, price: int | None = None, **fields) -> PlaceOrder:
        return self.place(account, "sell", qty, price, **fields)

    def cancel(self, account: str, order_id: str, ts_ns: int | None = None) -> CancelOrder:
        cmd_id, ts = self._next(ts_ns)
        return CancelOrder(cmd_id=cmd_id, ts_ns=ts, account=account, symbol=self.symbol, order_id=order_id)

    def amend(self, account: str, order_id: str, price: int | None = None, qty: int | None = None,
              ts_ns: int | None = None) -> AmendOrder:
        cmd_id, ts = self._next(ts_ns)
        return AmendOrder(cmd_id=cmd_id, ts_ns=ts, account=account, symbol=self.symbol, order_id=order_id,
                          price=price, qty=qty)

    def advance(self, ts_ns: int) -> AdvanceTime:
        cmd_id, ts = self._next(ts_ns)
        return AdvanceTime(cmd_id=cmd_id, ts_ns=ts, symbol=self.symbol)

    def deposit(self, account: str, asset: str, amount: int) -> Deposit:
        cmd_id, ts = self._next(None)
        return Deposit(cmd_id=cmd_id, ts_ns=ts, account=account, asset=asset, amount=amount)

    def withdraw(self, account: str, asset: str, amount: int) -> Withdraw:
        cmd_id, ts = self._next(None)
        return Withdraw(cmd_id=cmd_id, ts_ns=ts, account=account, asset=asset, amount=amount)


def kinds(events: list[tuple]) -> list[str]:
    return [event[0] for event in events]


def of_kind(events: list[tuple], kind: str) -> list[tuple]:
    return [event for event in events if event[0] == kind]
