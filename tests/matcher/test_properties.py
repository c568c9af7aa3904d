"""Property tests over random command streams through ledger + matcher (hypothesis).

(a) the book is never crossed after a command; (b) per order, filled + remaining + cancelled = its
quantity; (c) per asset, available + held over all accounts plus the fee account = deposits -
withdrawals, with clearing back at zero and every hold accounted for; (d) the same stream twice gives
byte-identical events; (e) snapshot anywhere, restore, continue = the uninterrupted run; (f) fills
agree with the independent reference matcher in `tests/matcher/reference.py`.
"""

from __future__ import annotations

import json
import os
import pickle

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.engine import MatchingEngine
from matcher.exchange import Exchange
from matcher.ledger import CLEARING, FEES
from matcher.messages import encode
from matcher.snapshot import engine_from_dict, engine_to_dict, ledger_from_dict, ledger_to_dict
from tests.matcher.factory import Commands, make_spec
from tests.matcher.reference import ReferenceMatcher

SPEC = make_spec(lot_size="0.01", min_notional=0)  # one tick x lot = 100 quote units: fees are non-zero
ACCOUNTS = ("a0", "a1", "a2")
FUNDS = {"a0": (10_000_000, 100), "a1": (2_000_000, 30), "a2": (150_000, 4)}  # USDT units, BTC lots
# 120 examples per property keeps the suite well under a minute; MATCHER_PROPERTY_EXAMPLES=2000 digs deeper
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("MATCHER_PROPERTY_EXAMPLES", "120")), deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])

accounts = st.sampled_from(ACCOUNTS)
sides = st.sampled_from(("buy", "sell"))
prices = st.integers(95, 105)
qtys = st.integers(1, 12)
stps = st.sampled_from(("none", "none", "cancel_newest", "cancel_oldest", "cancel_both"))

limit_ops = st.tuples(st.just("limit"), accounts, sides, prices, qtys,
                      st.sampled_from(("GTC", "GTC", "GTC", "IOC", "FOK", "GTD")), st.booleans(), stps)
market_ops = st.tuples(st.just("market"), accounts, sides, qtys, st.none() | prices,
                       st.none() | st.integers(1_000, 300_000), st.sampled_from(("IOC", "FOK")), stps)
stop_ops = st.tuples(st.just("stop"), accounts, sides, qtys, prices, st.none() | prices,
                     st.sampled_from(("GTC", "IOC", "GTD")))
cancel_ops = st.tuples(st.just("cancel"), st.integers(0, 10**6), st.integers(0, 9))
amend_ops = st.tuples(st.just("amend"), st.integers(0, 10**6), st.none() | prices, st.none() | qtys,
                      st.integers(0, 9))
advance_ops = st.tuples(st.just("advance"), st.integers(1, 5_000))
money_ops = st.tuples(st.sampled_from(("deposit", "withdraw")), accounts, st.sampled_from(("USDT", "BTC")),
                      st.integers(1, 300_000))

book_ops = st.one_of(limit_ops, limit_ops, market_ops, cancel_ops, amend_ops, amend_ops, advance_ops)
all_ops = st.one_of(limit_ops, limit_ops, market_ops, stop_ops, cancel_ops, amend_ops, amend_ops, advance_ops,
                    money_ops)


def build(ops) -> list:
    """Turn abstract ops into commands; cancels and amends name earlier orders (owner mostly right)."""
    c = Commands()
    out = [c.deposit(a, "USDT", FUNDS[a][0]) for a in ACCOUNTS]
    out += [c.deposit(a, "BTC", FUNDS[a][1] * SPEC.base_per_lot) for a in ACCOUNTS]
    placed: list[tuple[str, str]] = []  # (order_id, account)

    def other(account: str) -> str:
        return ACCOUNTS[(ACCOUNTS.index(account) + 1) % len(ACCOUNTS)]

    for op in ops:
        kind = op[0]
        if kind == "limit":
            _, account, side, price, qty, tif, post_only, stp = op
            post_only = post_only and tif in ("GTC", "GTD")
            expire = c.ts_ns + 1000 + 15_000 if tif == "GTD" else None
            cmd = c.place(account, side, qty, price, tif=tif, post_only=post_only, stp=stp, expire_ns=expire)
        elif kind == "market":
            _, account, side, qty, price, budget, tif, stp = op
            if side == "sell":
                budget = None
            elif price is None and budget is None:
                budget = 50_000
            cmd = c.place(account, side, qty, price, order_type="market", tif=tif, quote_budget=budget, stp=stp)
        elif kind == "stop":
            _, account, side, qty, stop, price, tif = op
            order_type = "stop_limit" if price is not None else "stop_market"
            if order_type == "stop_market" and side == "buy":
                price = stop + 3  # protection price bounds the buy
            expire = c.ts_ns + 1000 + 5_000 if tif == "GTD" else None
            cmd = c.place(account, side, qty, price, order_type=order_type, stop_price=stop, tif=tif,
                          expire_ns=expire)
        elif kind in ("cancel", "amend"):
            if not placed:
                continue
            ref = op[1]  # mostly one of the last few orders (likely still live), sometimes any
            order_id, owner = placed[-1 - ref % min(len(placed), 4)] if ref % 3 else placed[ref % len(placed)]
            account = owner if op[-1] else other(owner)
            if kind == "cancel":
                cmd = c.cancel(account, order_id)
            else:
                if op[2] is None and op[3] is None:
                    continue
                cmd = c.amend(account, order_id, price=op[2], qty=op[3])
        elif kind == "advance":
            cmd = c.advance(c.ts_ns + op[1])
        else:
            _, account, asset, amount = op
            cmd = c.deposit(account, asset, amount) if kind == "deposit" else c.withdraw(account, asset, amount)
        if cmd.type == "place":
            placed.append((cmd.order_id, cmd.account))
        out.append(cmd)
    return out


class OrderTally:
    """Per order, from the matcher events: quantity, filled and cancelled."""

    def __init__(self) -> None:
        self.qty: dict[str, int] = {}
        self.filled: dict[str, int] = {}
        self.cancelled: dict[str, int] = {}

    def add(self, events) -> None:
        for ev in events:
            kind = ev[0]
            if kind == "accepted":
                self.qty[ev[4]], self.filled[ev[4]], self.cancelled[ev[4]] = ev[10], 0, 0
            elif kind == "amended":
                self.qty[ev[4]] = ev[7]
            elif kind == "trade":
                self.filled[ev[8]] += ev[5]
                self.filled[ev[12]] += ev[5]
            elif kind in ("cancelled", "expired"):
                self.cancelled[ev[4]] += ev[6]


def check_invariants(ex: Exchange, tally: OrderTally, external: dict[str, int]) -> None:
    engine = ex.engines[SPEC.symbol]
    # (a) never crossed
    if engine.bids.best is not None and engine.asks.best is not None:
        assert engine.bids.best < engine.asks.best
    # (b) filled + remaining + cancelled = quantity
    for order_id, qty in tally.qty.items():
        live = engine.order(order_id)
        remaining = live.remaining if live is not None else 0
        assert tally.filled[order_id] + remaining + tally.cancelled[order_id] == qty, order_id
    # (c) conservation, clearing at zero, holds accounted for, nothing negative
    totals = ex.ledger.totals()
    for asset in ("USDT", "BTC"):
        assert totals.get(asset, 0) == external.get(asset, 0), asset
        assert ex.ledger.system.get((CLEARING, asset), 0) == 0
    for ledger in ex.ledger.accounts.values():
        for asset in ("USDT", "BTC"):
            available, held = ledger.balance(asset)
            assert available >= 0 and held >= 0
            assert held == sum(r.hold_left for r in ledger.orders.values() if r.asset == asset)
    assert ex.ledger.system.get((FEES, "USDT"), 0) >= 0


def run_checked(commands) -> Exchange:
    ex = Exchange([SPEC])
    tally = OrderTally()
    external: dict[str, int] = {}
    for cmd in commands:
        out = ex.process(cmd)
        tally.add(out.matcher_events)
        for ev in out.ledger_events:
            if ev[0] == "journal" and ev[4] in ("deposit", "withdraw"):
                external[ev[6]] = external.get(ev[6], 0) + (ev[7] if ev[4] == "deposit" else -ev[7])
        check_invariants(ex, tally, external)
    return ex


def encoded(ex: Exchange, commands) -> list[bytes]:
    out = []
    for cmd in commands:
        result = ex.process(cmd)
        out.append(b"|".join(encode(e) for e in result.ledger_events + result.matcher_events))
    return out


def restored(ex: Exchange, via_pickle: bool) -> Exchange:
    clone = Exchange(ex.specs.values())
    for symbol, engine in ex.engines.items():
        clone.engines[symbol] = (pickle.loads(pickle.dumps(engine)) if via_pickle
                                 else engine_from_dict(json.loads(json.dumps(engine_to_dict(engine)))))
    for name, ledger in ex.ledger.accounts.items():
        clone.ledger.accounts[name] = (pickle.loads(pickle.dumps(ledger)) if via_pickle
                                       else ledger_from_dict(json.loads(json.dumps(ledger_to_dict(ledger)))))
    clone.ledger.system = dict(ex.ledger.system)
    return clone


@PROPERTY_SETTINGS
@given(st.lists(all_ops, min_size=30, max_size=90))
def test_invariants_hold_after_every_command(ops):
    commands = build(ops)
    ex = run_checked(commands)
    # once every live order is cancelled, no hold is left anywhere: no dust, no over-release
    engine = ex.engines[SPEC.symbol]
    c = Commands(prefix="end-")
    c.ts_ns = commands[-1].ts_ns
    for order in list(engine.orders.values()) + list(engine.stops.values()):
        ex.process(c.cancel(order.account, order.order_id))
    for ledger in ex.ledger.accounts.values():
        assert ledger.orders == {}
        assert all(amount == 0 for amount in ledger.held.values())


@PROPERTY_SETTINGS
@given(st.lists(all_ops, min_size=30, max_size=80), st.integers(0, 10**6), st.booleans())
def test_deterministic_and_snapshot_restore_continues_identically(ops, cut, via_pickle):
    commands = build(ops)
    first = encoded(Exchange([SPEC]), commands)
    assert encoded(Exchange([SPEC]), commands) == first  # (d)
    cut %= len(commands) + 1
    ex = Exchange([SPEC])
    head = encoded(ex, commands[:cut])
    tail = encoded(restored(ex, via_pickle), commands[cut:])  # (e)
    assert head + tail == first


@PROPERTY_SETTINGS
@given(st.lists(book_ops, min_size=30, max_size=100))
def test_fills_agree_with_reference_matcher(ops):
    commands = [cmd for cmd in build(ops) if cmd.type not in ("deposit", "withdraw")]
    engine = MatchingEngine(SPEC)
    reference = ReferenceMatcher(SPEC.maker_fee_bps, SPEC.taker_fee_bps, SPEC.quote_per_tick_lot)
    fills = []
    for cmd in commands:
        fills += [(e[8], e[12], e[4], e[5]) for e in engine.process(cmd) if e[0] == "trade"]
        reference.process(cmd)
        assert fills == reference.fills
        assert engine.depth(1000) == reference.depth()
