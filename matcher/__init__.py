"""matcher: the exchange core as a pure library (SPEC §2, §3, §5). Imports only the standard library
and sortedcontainers; reads no clock, no environment, no randomness.

What the flows call
-------------------
Ledger step (keyed by account, input `account.commands`):
    state = AccountLedger(account, symbols)               # matcher.ledger; picklable
    out = state.process(command_or_report)                # -> LedgerOutput(events, forward)
    out.events  -> `ledger.events` (journal entries, ledger_rejected)
    out.forward -> `orders.accepted`, keyed by command.symbol (accepted place/cancel/amend)

Matching step (keyed by symbol, input `orders.accepted`):
    state = MatchingEngine(spec)                          # matcher.engine; picklable
    events = state.process(command)                       # place/cancel/amend/advance_time -> [event]
    events -> `matcher.events`
    execution_reports(events) -> `account.commands`, keyed by report.account   # matcher.reports

Serde (`connectors/`): `to_dict` / `from_dict` / `encode` / `decode` in matcher.messages cover every
command, report and event ({"type": ..., "v": 1, ...}). Snapshots: matcher.snapshot.
Decimal strings at the edge: `SymbolSpec.price_to_ticks` and friends (matcher.symbols).
In-process wiring for tests, benchmarks and simulation: `Exchange` (matcher.exchange).
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
