"""Unit tests of the account ledger: holds, settlement, fees, releases, idempotency, double entry."""

from __future__ import annotations

import pytest

from matcher import codes
from matcher.exchange import Exchange
from matcher.ledger import CLEARING, EXTERNAL, FEES, AccountLedger, journal_lines
from matcher.reports import ExecutionReport
from tests.matcher.factory import SYMBOL, Commands, make_spec


@pytest.fixture
def c() -> Commands:
    return Commands()


@pytest.fixture
def ex(c) -> Exchange:
    ex = Exchange([make_spec()])
    for account in ("alice", "bob", "carol"):
        ex.process(c.deposit(account, "USDT", 1_000_000))
        ex.process(c.deposit(account, "BTC", 1_000_000))
    return ex


def balance(ex, account, asset):
    return ex.ledger.account(account).balance(asset)


def rejection(out):
    assert [e[0] for e in out.ledger_events] == ["ledger_rejected"]
    return out.ledger_events[0][-1]


def test_deposit_and_withdraw(c):
    ledger = AccountLedger("alice", {SYMBOL: make_spec()})
    ledger.process(c.deposit("alice", "USDT", 100))
    out = ledger.process(c.withdraw("alice", "USDT", 101))
    assert out.events[0][-1] == codes.INSUFFICIENT_FUNDS
    out = ledger.process(c.withdraw("alice", "USDT", 60))
    assert journal_lines(out.events[0]) == [("alice", "available", "USDT", -60), (EXTERNAL, "available", "USDT", 60)]
    assert ledger.balance("USDT") == (40, 0)
    assert ledger.process(c.deposit("alice", "USDT", 0)).events[0][-1] == codes.INVALID_AMOUNT


def test_buy_holds_notional_plus_worst_fee_rounded_up(ex, c):
    ex.process(c.buy("alice", 333, 1000))  # notional 333,000; 20 bps = 666 -> hold 333,666
    assert balance(ex, "alice", "USDT") == (1_000_000 - 333_666, 333_666)
    ex.process(c.buy("alice", 1, 7))  # notional 7, fee 0.014 rounds up to 1
    assert balance(ex, "alice", "USDT")[1] == 333_666 + 8


def test_sell_holds_base(ex, c):
    ex.process(c.sell("bob", 5, 1000))
    assert balance(ex, "bob", "BTC") == (1_000_000 - 5 * 10_000, 50_000)


def test_insufficient_funds_changes_nothing(ex, c):
    before = balance(ex, "alice", "USDT")
    out = ex.process(c.buy("alice", 10_000, 1000))
    assert rejection(out) == codes.INSUFFICIENT_FUNDS and out.matcher_events == []
    assert balance(ex, "alice", "USDT") == before


def test_fill_settles_both_sides_with_fees(ex, c):
    ex.process(c.sell("bob", 10, 1000, order_id="s"))  # maker, 10 bps
    ex.process(c.buy("alice", 10, 1000, order_id="b"))  # taker, 20 bps; notional 10,000
    assert balance(ex, "alice", "USDT") == (1_000_000 - 10_000 - 20, 0)
    assert balance(ex, "alice", "BTC") == (1_000_000 + 100_000, 0)
    assert balance(ex, "bob", "USDT") == (1_000_000 + 10_000 - 10, 0)
    assert balance(ex, "bob", "BTC") == (1_000_000 - 100_000, 0)
    assert ex.ledger.system[(FEES, "USDT")] == 30
    assert ex.ledger.system.get((CLEARING, "USDT"), 0) == 0 and ex.ledger.system.get((CLEARING, "BTC"), 0) == 0


def test_price_improvement_and_cancel_release_exactly(ex, c):
    ex.process(c.sell("bob", 4, 900))
    ex.process(c.buy("alice", 10, 1000, order_id="b"))  # 4 fill at 900, 6 rest at 1000
    held = balance(ex, "alice", "USDT")[1]
    assert held == 6000 + 12  # exactly the remainder's hold
    ex.process(c.cancel("alice", "b"))
    assert balance(ex, "alice", "USDT") == (1_000_000 - 3600 - 7, 0)
    assert ex.ledger.account("alice").orders == {}


def test_market_buy_budget_hold_released_on_done(ex, c):
    ex.process(c.sell("bob", 3, 100))
    ex.process(c.buy("alice", 50, order_type="market", tif="IOC", quote_budget=10_000))
    assert balance(ex, "alice", "USDT") == (1_000_000 - 300, 0)  # fee 0.6 -> floor 0


def test_amend_up_holds_more_or_is_rejected(ex, c):
    ex.process(c.buy("alice", 10, 1000, order_id="b"))
    hold = balance(ex, "alice", "USDT")[1]
    ex.process(c.amend("alice", "b", price=2000))
    assert balance(ex, "alice", "USDT")[1] == 2 * hold
    out = ex.process(c.amend("alice", "b", qty=10_000))
    assert rejection(out) == codes.INSUFFICIENT_FUNDS
    ex.process(c.amend("alice", "b", qty=5, price=1000))
    assert balance(ex, "alice", "USDT")[1] == hold // 2


def test_amend_rejected_by_matcher_releases_the_extra(ex, c):
    ex.process(c.sell("bob", 1, 1500))
    ex.process(c.buy("alice", 10, 1000, order_id="b", post_only=True))
    hold = balance(ex, "alice", "USDT")[1]
    out = ex.process(c.amend("alice", "b", price=1500))  # would take: matcher refuses
    assert out.matcher_events[0][8] == codes.POST_ONLY_WOULD_TAKE
    assert balance(ex, "alice", "USDT")[1] == hold


def test_cancel_and_amend_of_unknown_or_foreign_order(ex, c):
    ex.process(c.buy("alice", 1, 1000, order_id="b"))
    assert rejection(ex.process(c.cancel("bob", "b"))) == codes.UNKNOWN_ORDER
    assert rejection(ex.process(c.amend("bob", "b", qty=2))) == codes.UNKNOWN_ORDER
    assert rejection(ex.process(c.cancel("alice", "nope"))) == codes.UNKNOWN_ORDER


def test_cancel_and_amend_of_a_finished_order_go_to_the_book(ex, c):
    # Whether the fill came back before the cancel is timing; the book answers either way, so its
    # events (and sequence numbers) depend only on its own input.
    ex.process(c.sell("bob", 1, 1000, order_id="s"))
    ex.process(c.buy("alice", 1, 1000, order_id="b"))  # fills s and b completely
    for command in (c.cancel("alice", "b"), c.amend("alice", "b", qty=2)):
        out = ex.process(command)
        assert [e[0] for e in out.ledger_events] == []
        assert [(e[0], e[8]) for e in out.matcher_events] == [("rejected", codes.UNKNOWN_ORDER)]


def test_place_validation_and_duplicates(ex, c):
    assert rejection(ex.process(c.buy("alice", 1, 1000, symbol="ETH-USDT"))) == codes.UNKNOWN_SYMBOL
    assert rejection(ex.process(c.buy("alice", 0, 1000))) == codes.INVALID_QUANTITY
    assert rejection(ex.process(c.buy("alice", 1, -5))) == codes.INVALID_PRICE
    place = c.buy("alice", 1, 1000, order_id="x")
    ex.process(place)
    assert rejection(ex.process(place)) == codes.DUPLICATE  # same command id
    assert rejection(ex.process(c.buy("alice", 1, 1000, order_id="x"))) == codes.DUPLICATE  # same order id


def test_report_replays_are_ignored(c):
    ledger = AccountLedger("alice", {SYMBOL: make_spec()})
    ledger.process(c.deposit("alice", "USDT", 10_000))
    ledger.process(c.buy("alice", 10, 100, order_id="b"))
    fill = ExecutionReport(symbol=SYMBOL, seq=5, part=1, ts_ns=1, account="alice", order_id="b", kind="fill",
                           price=100, qty=4, quote_qty=400, fee=0, liquidity="taker", remaining=6, done=False)
    first = ledger.process(fill)
    assert first.events and ledger.process(fill).events == []
    assert ledger.balance("BTC") == (40_000, 0)


def test_reserved_accounts_refused(c):
    ledger = AccountLedger("@fees", {SYMBOL: make_spec()})
    assert ledger.process(c.deposit("@fees", "USDT", 5)).events[0][-1] == codes.RESERVED_ACCOUNT


def test_every_journal_entry_balances_per_asset(ex, c):
    ex.process(c.sell("bob", 10, 1000))
    out = ex.process(c.buy("alice", 12, 1001))
    entries = [e for e in out.ledger_events if e[0] == "journal"]
    assert entries
    for entry in entries:
        lines = journal_lines(entry)
        assert len(lines) == 2 and lines[0][3] + lines[1][3] == 0 and lines[0][2] == lines[1][2]


def test_held_equals_sum_of_order_holds(ex, c):
    ex.process(c.sell("bob", 3, 1000))
    ex.process(c.buy("alice", 5, 1000))
    ex.process(c.buy("alice", 7, 990))
    ledger = ex.ledger.account("alice")
    assert ledger.held["USDT"] == sum(r.hold_left for r in ledger.orders.values())
