"""matcher: the exchange core as a pure library (SPEC §2, §3, §5). Imports only the standard library
and sortedcontainers; reads no clock, no environment, no randomness.

What the flows call
-------------------
Ledger step (keyed by account, input `account.commands`):
    state = AccountLedger(account, symbols)               # matcher.ledger; picklable
    out = state.process(command_or_report)                # -> LedgerOutput(events, forward)
    out.events  -> `ledger.events` (journal entries, ledger_rejected)
    out.forward -> `orders.accepted`, keyed by command.symbol (accepted place/cancel/amend, unchanged)

Matching step (keyed by symbol, input `orders.accepted`):
    state = MatchingEngine(spec)                          # matcher.engine; picklable
    events = state.process(command)                       # place/cancel/amend/advance_time -> [event]
    events -> `matcher.events`
    execution_reports(events) -> `account.commands`, keyed by report.account   # matcher.reports

Serde (`connectors/`): `to_dict` / `from_dict` / `encode` / `decode` in matcher.messages cover every
command, report and event as `{"type": ..., "v": 1, <fields>}`; events are tuples inside the core,
their field names are `matcher.events.FIELDS` and `matcher.messages.LEDGER_FIELDS`. Snapshots:
matcher.snapshot (also what pickling uses). Decimal strings at the edge: `SymbolSpec.price_to_ticks`
and friends (matcher.symbols). Reject codes: matcher.codes. In-process wiring for tests, benchmarks
and simulation: `Exchange` (matcher.exchange).

Units and conventions: prices in ticks, quantities in lots, amounts in the asset's smallest unit;
`qty` of an order (and of an amend) is its total quantity; fees are charged in the quote asset,
rounded down, and held rounded up; `ts_ns` is event time stamped at intake.
"""

from matcher.codes import *  # noqa: F401,F403  (reject codes are part of the public API)
from matcher.commands import AdvanceTime, AmendOrder, CancelOrder, Deposit, PlaceOrder, Withdraw
from matcher.engine import MatchingEngine
from matcher.exchange import Exchange, Ledger
from matcher.ledger import AccountLedger, LedgerInvariantError, LedgerOutput, journal_lines
from matcher.messages import decode, encode, from_dict, to_dict
from matcher.reports import ExecutionReport, execution_reports
from matcher.symbols import IncrementError, SymbolSpec
from matcher.validation import check_place

__all__ = [
    "AccountLedger", "AdvanceTime", "AmendOrder", "CancelOrder", "Deposit", "Exchange", "ExecutionReport",
    "IncrementError", "Ledger", "LedgerInvariantError", "LedgerOutput", "MatchingEngine", "PlaceOrder",
    "SymbolSpec", "Withdraw", "check_place", "decode", "encode", "execution_reports", "from_dict",
    "journal_lines", "to_dict",
]
