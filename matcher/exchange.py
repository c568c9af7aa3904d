"""The whole core in one process: ledgers of many accounts and engines of many symbols, wired.

The Bytewax flows do this wiring through Kafka (ledger -> `orders.accepted` -> matcher ->
`account.commands` -> ledger); `Exchange` does it synchronously, in the same order, for tests,
benchmarks and simulations. Nothing here decides anything the flows would not: it only routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from matcher.engine import MatchingEngine
from matcher.ledger import AccountLedger, LedgerOutput
from matcher.reports import execution_reports
from matcher.symbols import SymbolSpec


class Ledger:
    """Many `AccountLedger`s, one per account, created on first use; plus the system accounts'
    balances (`@external`, `@clearing`, `@fees`) summed from the journal entries that name them.

    >>> from matcher.commands import Deposit
    >>> spec = SymbolSpec("BTC-USDT", "BTC", "USDT", 8, 6, "0.01", "0.0001")
    >>> ledger = Ledger({"BTC-USDT": spec})
    >>> _ = ledger.process(Deposit(cmd_id="d1", ts_ns=1, account="alice", asset="USDT", amount=7))
    >>> ledger.account("alice").balance("USDT"), ledger.system[("@external", "USDT")]
    ((7, 0), -7)
    """

    def __init__(self, symbols: Mapping[str, SymbolSpec]) -> None:
        self.symbols = dict(symbols)
        self.accounts: dict[str, AccountLedger] = {}
        self.system: dict[tuple[str, str], int] = {}  # (system account, asset) -> balance

    def account(self, name: str) -> AccountLedger:
        ledger = self.accounts.get(name)
        if ledger is None:
            ledger = self.accounts[name] = AccountLedger(name, self.symbols)
        return ledger

    def process(self, command) -> LedgerOutput:
        out = self.account(command.account).process(command)
        system = self.system
        for ev in out.events:
            if ev[0] == "journal":
                if ev[8][0] == "@":
                    key = (ev[8], ev[6])
                    system[key] = system.get(key, 0) - ev[7]
                if ev[10][0] == "@":
                    key = (ev[10], ev[6])
                    system[key] = system.get(key, 0) + ev[7]
        return out

    def totals(self) -> dict[str, int]:
        """Per asset: available + held over every user account plus the fee account's balance."""
        out: dict[str, int] = {}
        for ledger in self.accounts.values():
            for balances in (ledger.available, ledger.held):
                for asset, amount in balances.items():
                    out[asset] = out.get(asset, 0) + amount
        for (account, asset), amount in self.system.items():
            if account == "@fees":
                out[asset] = out.get(asset, 0) + amount
        return out


class ExchangeOutput(NamedTuple):
    ledger_events: list[tuple]
    matcher_events: list[tuple]


class Exchange:
    """Ledger + matching engines, wired as the flows wire them, run to quiescence per command.

    >>> from matcher.commands import Deposit, PlaceOrder
    >>> spec = SymbolSpec("BTC-USDT", "BTC", "USDT", 8, 6, "0.01", "0.0001")
    >>> ex = Exchange([spec])
    >>> _ = ex.process(Deposit(cmd_id="d1", ts_ns=1, account="bob", asset="BTC", amount=10**6))
    >>> _ = ex.process(Deposit(cmd_id="d2", ts_ns=1, account="alice", asset="USDT", amount=10**6))
    >>> _ = ex.process(PlaceOrder(cmd_id="c1", ts_ns=2, account="bob", symbol="BTC-USDT", order_id="s1",
    ...                           side="sell", price=100, qty=5))
    >>> out = ex.process(PlaceOrder(cmd_id="c2", ts_ns=3, account="alice", symbol="BTC-USDT",
    ...                             order_id="b1", side="buy", price=100, qty=5))
    >>> [e[0] for e in out.matcher_events]
    ['accepted', 'trade', 'book_delta']
    >>> ex.ledger.account("alice").balance("BTC"), ex.ledger.account("bob").balance("USDT")
    ((50000, 0), (500, 0))
    """

    def __init__(self, specs: Iterable[SymbolSpec]) -> None:
        self.specs = {spec.symbol: spec for spec in specs}
        self.engines = {symbol: MatchingEngine(spec) for symbol, spec in self.specs.items()}
        self.ledger = Ledger(self.specs)

    def process(self, command) -> ExchangeOutput:
        matcher_events: list[tuple] = []
        if command.type == "advance_time":
            ledger_events: list[tuple] = []
            self._match(command, matcher_events, ledger_events)
            return ExchangeOutput(ledger_events, matcher_events)
        out = self.ledger.process(command)
        ledger_events = list(out.events)
        for forwarded in out.forward:
            self._match(forwarded, matcher_events, ledger_events)
        return ExchangeOutput(ledger_events, matcher_events)

    def _match(self, command, matcher_events: list, ledger_events: list) -> None:
        events = self.engines[command.symbol].process(command)
        matcher_events.extend(events)
        ledger_process = self.ledger.process
        for report in execution_reports(events):
            ledger_events.extend(ledger_process(report).events)
