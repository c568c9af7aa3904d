"""Snapshots: a book or a ledger as compact, versioned plain data, restored exactly.

`engine_to_dict` / `engine_from_dict` and `ledger_to_dict` / `ledger_from_dict` give JSON-ready
dicts (`{"type": ..., "v": 3, ...}`; orders as positional rows, sets sorted and recent ids in arrival
order, as blocks of JSON (`matcher.recent`), so equal histories give equal bytes). Restoring and continuing produces exactly the events the uninterrupted run would have.
`MatchingEngine` and `AccountLedger` pickle through these same dicts, so a Bytewax state snapshot is
this form too.

>>> from matcher.commands import PlaceOrder
>>> from matcher.engine import MatchingEngine
>>> from matcher.symbols import SymbolSpec
>>> engine = MatchingEngine(SymbolSpec("BTC-USDT", "BTC", "USDT", 8, 6, "0.01", "0.0001"))
>>> _ = engine.process(PlaceOrder(cmd_id="c1", ts_ns=1, account="bob", symbol="BTC-USDT",
...                               order_id="s1", side="sell", price=100, qty=5))
>>> copy = engine_from_dict(engine_to_dict(engine))
>>> copy.depth(1), copy.seq
({'bids': [], 'asks': [(100, 5)]}, 3)
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from matcher.book import Order
from matcher.engine import MatchingEngine
from matcher.ledger import AccountLedger, OrderHold
from matcher.recent import RecentIds
from matcher.symbols import SymbolSpec

VERSION = 3  # 2: dedupe ids of the recent window; 3: kept as JSON blocks, encoded once when full


def _check(data: dict, kind: str) -> None:
    if data.get("type") != kind or data.get("v") != VERSION:
        raise ValueError(f"not a v{VERSION} {kind}: {data.get('type')!r} v{data.get('v')!r}")


def engine_to_dict(engine: MatchingEngine) -> dict:
    live = {**engine.orders, **engine.stops}
    expiries = sorted({(exp, seq, oid) for exp, seq, oid in engine.expiries
                       if oid in live and live[oid].seq == seq})
    return {
        "type": "engine_snapshot", "v": VERSION, "spec": engine.spec.to_dict(),
        "seq": engine.seq, "last_price": engine.last_price, "now_ns": engine.now_ns,
        "bids": [o.to_row() for o in engine.bids.orders()],
        "asks": [o.to_row() for o in engine.asks.orders()],
        "stops": [o.to_row() for o in sorted(engine.stops.values(), key=lambda o: o.seq)],
        "expiries": [list(e) for e in expiries],
        "seen": engine.seen.to_snapshot(),
    }


def engine_from_dict(data: dict) -> MatchingEngine:
    _check(data, "engine_snapshot")
    engine = MatchingEngine(SymbolSpec.from_dict(data["spec"]))
    engine.seq, engine.last_price, engine.now_ns = data["seq"], data["last_price"], data["now_ns"]
    for side, rows in ((engine.bids, data["bids"]), (engine.asks, data["asks"])):
        for row in rows:
            order = Order.from_row(row)
            side.add(order)
            engine.orders[order.order_id] = order
    for row in data["stops"]:
        order = Order.from_row(row)
        engine.stops[order.order_id] = order
        (engine.buy_stops if order.is_buy else engine.sell_stops).add((order.stop_price, order.seq,
                                                                       order.order_id))
    engine.expiries = [tuple(e) for e in data["expiries"]]
    heapq.heapify(engine.expiries)
    engine.seen = RecentIds.from_snapshot(data["seen"])
    return engine


def ledger_to_dict(ledger: AccountLedger) -> dict:
    return {
        "type": "ledger_snapshot", "v": VERSION, "account": ledger.account,
        "symbols": [spec.to_dict() for _, spec in sorted(ledger.symbols.items())],
        "available": sorted([asset, amount] for asset, amount in ledger.available.items()),
        "held": sorted([asset, amount] for asset, amount in ledger.held.items()),
        "orders": [record.to_row() for record in ledger.orders.values()],
        "seen_commands": ledger.seen_commands.to_snapshot(),
        "seen_orders": ledger.seen_orders.to_snapshot(),
        "cursors": sorted([symbol, seq, part] for symbol, (seq, part) in ledger.cursors.items()),
    }


def ledger_from_dict(data: dict, symbols: Mapping[str, SymbolSpec] | None = None) -> AccountLedger:
    """Restore an account's ledger; `symbols` (current configuration) overrides the snapshot's."""
    _check(data, "ledger_snapshot")
    if symbols is None:
        symbols = {d["symbol"]: SymbolSpec.from_dict(d) for d in data["symbols"]}
    ledger = AccountLedger(data["account"], symbols)
    ledger.available = {asset: amount for asset, amount in data["available"]}
    ledger.held = {asset: amount for asset, amount in data["held"]}
    for row in data["orders"]:
        record = OrderHold.from_row(row)
        ledger.orders[record.order_id] = record
    ledger.seen_commands = RecentIds.from_snapshot(data["seen_commands"])
    ledger.seen_orders = RecentIds.from_snapshot(data["seen_orders"])
    ledger.cursors = {symbol: (seq, part) for symbol, seq, part in data["cursors"]}
    return ledger
