"""Unit tests of the matching engine: one behaviour per order type, time in force and flag."""

from __future__ import annotations

import pytest

from matcher import codes
from matcher.engine import MatchingEngine
from tests.matcher.factory import Commands, kinds, make_spec, of_kind


@pytest.fixture
def engine() -> MatchingEngine:
    return MatchingEngine(make_spec())


@pytest.fixture
def c() -> Commands:
    return Commands()


def trades(events):
    """(price, qty, maker_order_id, taker_order_id) of each trade."""
    return [(e[4], e[5], e[8], e[12]) for e in of_kind(events, "trade")]


# --- limit orders and priority -------------------------------------------------------------------------
def test_limit_rests_when_nothing_crosses(engine, c):
    events = engine.process(c.buy("a", 5, 100, order_id="b1"))
    assert kinds(events) == ["accepted", "rested", "book_delta"]
    assert events[2][4:] == ("buy", 100, 5)
    assert engine.depth() == {"bids": [(100, 5)], "asks": []}


def test_limit_trades_at_resting_price(engine, c):
    engine.process(c.sell("m", 3, 100, order_id="s1"))
    events = engine.process(c.buy("t", 3, 105, order_id="b1"))
    assert trades(events) == [(100, 3, "s1", "b1")]
    trade = of_kind(events, "trade")[0]
    assert trade[6] == 300  # quote_qty = price x qty x quote_per_tick_lot (1)
    assert engine.depth() == {"bids": [], "asks": []}


def test_limit_partial_fill_rests_remainder(engine, c):
    engine.process(c.sell("m", 2, 100, order_id="s1"))
    events = engine.process(c.buy("t", 5, 101, order_id="b1"))
    assert kinds(events) == ["accepted", "trade", "book_delta", "rested", "book_delta"]
    assert engine.depth() == {"bids": [(101, 3)], "asks": []}


def test_price_then_time_priority(engine, c):
    engine.process(c.sell("m", 1, 101, order_id="late_worse"))
    engine.process(c.sell("m", 1, 100, order_id="first"))
    engine.process(c.sell("m", 1, 100, order_id="second"))
    events = engine.process(c.buy("t", 3, 101, order_id="b"))
    assert [t[2] for t in trades(events)] == ["first", "second", "late_worse"]


def test_sequence_numbers_are_consecutive_across_commands(engine, c):
    events = engine.process(c.sell("m", 1, 100)) + engine.process(c.buy("t", 2, 100))
    events += engine.process(c.cancel("t", "o2"))
    assert [e[2] for e in events] == list(range(1, len(events) + 1))


def test_duplicate_order_id_rejected(engine, c):
    engine.process(c.buy("a", 1, 100, order_id="x"))
    events = engine.process(c.buy("a", 1, 100, order_id="x"))
    assert kinds(events) == ["rejected"] and events[0][8] == codes.DUPLICATE


@pytest.mark.parametrize(("fields", "reason"), [
    ({"qty": 0, "price": 100}, codes.INVALID_QUANTITY),
    ({"qty": 1, "price": 0}, codes.INVALID_PRICE),
    ({"qty": 1, "price": None}, codes.INVALID_PRICE),
    ({"qty": 1, "price": 100, "symbol": "ETH-USDT"}, codes.UNKNOWN_SYMBOL),
    ({"qty": 1, "price": 100, "tif": "XYZ"}, codes.INVALID_TIME_IN_FORCE),
    ({"qty": 1, "price": 100, "stp": "bogus"}, codes.INVALID_FLAGS),
    ({"qty": 1, "price": 100, "order_type": "iceberg"}, codes.INVALID_ORDER_TYPE),
])
def test_invalid_place_rejected(engine, c, fields, reason):
    qty, price = fields.pop("qty"), fields.pop("price")
    events = engine.process(c.buy("a", qty, price, **fields))
    assert kinds(events) == ["rejected"] and events[0][8] == reason


def test_min_quantity_and_min_notional(c):
    engine = MatchingEngine(make_spec(min_qty_lots=10, min_notional=5_000))
    assert engine.process(c.buy("a", 9, 1000))[0][8] == codes.INVALID_QUANTITY
    assert engine.process(c.buy("a", 10, 499))[0][8] == codes.BELOW_MIN_NOTIONAL
    assert kinds(engine.process(c.buy("a", 10, 500))) == ["accepted", "rested", "book_delta"]


# --- market orders -------------------------------------------------------------------------------------
def test_market_buy_unbounded_rejected(engine, c):
    events = engine.process(c.buy("t", 1, order_type="market", tif="IOC"))
    assert events[0][8] == codes.MARKET_BUY_UNBOUNDED


def test_market_gtc_rejected(engine, c):
    events = engine.process(c.sell("t", 1, order_type="market", tif="GTC"))
    assert events[0][8] == codes.INVALID_TIME_IN_FORCE


def test_market_buy_stops_at_protection_price(engine, c):
    engine.process(c.sell("m", 2, 100, order_id="s1"))
    engine.process(c.sell("m", 2, 110, order_id="s2"))
    events = engine.process(c.buy("t", 4, 105, order_type="market", tif="IOC", order_id="b"))
    assert trades(events) == [(100, 2, "s1", "b")]
    assert of_kind(events, "cancelled")[0][6:] == (2, codes.CANCELLED_IOC)
    assert engine.depth()["bids"] == []


def test_market_buy_spends_at_most_its_budget(engine, c):
    engine.process(c.sell("m", 10, 100, order_id="s1"))
    engine.process(c.sell("m", 10, 200, order_id="s2"))
    # taker fee 20 bps, floor: 10 lots at 100 cost 1000 + 2; 3 lots at 200 cost 600 + 1 -> 1603
    events = engine.process(c.buy("t", 100, order_type="market", tif="IOC", quote_budget=1700, order_id="b"))
    assert trades(events) == [(100, 10, "s1", "b"), (200, 3, "s2", "b")]
    spent = sum(t[6] + t[14] for t in of_kind(events, "trade"))
    assert spent == 1603 <= 1700
    assert of_kind(events, "cancelled")[0][6] == 87


def test_market_sell_sweeps_levels(engine, c):
    engine.process(c.buy("m", 1, 100, order_id="b1"))
    engine.process(c.buy("m", 1, 99, order_id="b2"))
    events = engine.process(c.sell("t", 2, order_type="market", tif="IOC", order_id="s"))
    assert trades(events) == [(100, 1, "b1", "s"), (99, 1, "b2", "s")]
    assert kinds(events)[-1] == "book_delta"  # fully filled: no cancel


# --- time in force -------------------------------------------------------------------------------------
def test_ioc_cancels_remainder(engine, c):
    engine.process(c.sell("m", 1, 100))
    events = engine.process(c.buy("t", 3, 100, tif="IOC", order_id="b"))
    assert kinds(events) == ["accepted", "trade", "book_delta", "cancelled"]
    assert events[-1][6:] == (2, codes.CANCELLED_IOC)
    assert engine.depth()["bids"] == []


def test_fok_not_fillable_rejected_and_book_untouched(engine, c):
    engine.process(c.sell("m", 2, 100))
    before = engine.depth()
    events = engine.process(c.buy("t", 3, 100, tif="FOK"))
    assert kinds(events) == ["rejected"] and events[0][8] == codes.FOK_NOT_FILLABLE
    assert engine.depth() == before


def test_fok_fillable_fills_completely(engine, c):
    engine.process(c.sell("m", 2, 100))
    engine.process(c.sell("m", 2, 101))
    events = engine.process(c.buy("t", 3, 101, tif="FOK"))
    assert [t[1] for t in trades(events)] == [2, 1]


def test_gtd_expires_on_event_time_of_a_later_command(engine, c):
    engine.process(c.buy("a", 1, 100, tif="GTD", expire_ns=5_000, order_id="g", ts_ns=1_000))
    assert kinds(engine.process(c.buy("a", 1, 90, ts_ns=4_999))) == ["accepted", "rested", "book_delta"]
    events = engine.process(c.buy("a", 1, 90, ts_ns=5_000))
    assert kinds(events)[:2] == ["expired", "book_delta"] and events[0][4] == "g"
    assert engine.depth()["bids"] == [(90, 2)]


def test_gtd_expires_on_advance_time(engine, c):
    engine.process(c.sell("a", 4, 100, tif="GTD", expire_ns=5_000, order_id="g"))
    assert engine.process(c.advance(4_000)) == []
    events = engine.process(c.advance(6_000))
    assert kinds(events) == ["expired", "book_delta"] and events[0][6] == 4


def test_gtd_needs_future_expiry(engine, c):
    events = engine.process(c.buy("a", 1, 100, tif="GTD", expire_ns=500, ts_ns=1_000))
    assert events[0][8] == codes.INVALID_EXPIRY
    assert engine.process(c.buy("a", 1, 100, expire_ns=5_000))[0][8] == codes.INVALID_EXPIRY


def test_time_never_goes_backwards(engine, c):
    engine.process(c.buy("a", 1, 100, tif="GTD", expire_ns=5_000, ts_ns=1_000))
    engine.process(c.advance(6_000))
    assert engine.process(c.buy("a", 1, 100, tif="GTD", expire_ns=5_500, ts_ns=2_000))[0][8] == codes.INVALID_EXPIRY


# --- flags ---------------------------------------------------------------------------------------------
def test_post_only_rejected_if_it_would_take(engine, c):
    engine.process(c.sell("m", 1, 100))
    events = engine.process(c.buy("t", 1, 100, post_only=True))
    assert events[0][8] == codes.POST_ONLY_WOULD_TAKE
    assert kinds(engine.process(c.buy("t", 1, 99, post_only=True))) == ["accepted", "rested", "book_delta"]


def test_post_only_only_for_resting_limits(engine, c):
    assert engine.process(c.buy("t", 1, 99, post_only=True, tif="IOC"))[0][8] == codes.INVALID_FLAGS


def test_stp_none_allows_self_trade(engine, c):
    engine.process(c.sell("me", 1, 100, order_id="s"))
    assert trades(engine.process(c.buy("me", 1, 100, order_id="b"))) == [(100, 1, "s", "b")]


def test_stp_cancel_newest(engine, c):
    engine.process(c.sell("other", 1, 100, order_id="s0"))
    engine.process(c.sell("me", 1, 100, order_id="s1"))
    events = engine.process(c.buy("me", 3, 100, stp="cancel_newest", order_id="b"))
    assert trades(events) == [(100, 1, "s0", "b")]
    assert of_kind(events, "cancelled")[0][4:] == ("b", "me", 2, codes.CANCELLED_STP)
    assert engine.depth() == {"bids": [], "asks": [(100, 1)]}  # s1 still rests


def test_stp_cancel_oldest(engine, c):
    engine.process(c.sell("me", 1, 100, order_id="s1"))
    engine.process(c.sell("other", 1, 100, order_id="s2"))
    events = engine.process(c.buy("me", 1, 100, stp="cancel_oldest", order_id="b"))
    assert of_kind(events, "cancelled")[0][4:] == ("s1", "me", 1, codes.CANCELLED_STP)
    assert trades(events) == [(100, 1, "s2", "b")]
    assert engine.depth() == {"bids": [], "asks": []}


def test_stp_cancel_both(engine, c):
    engine.process(c.sell("me", 2, 100, order_id="s1"))
    events = engine.process(c.buy("me", 1, 100, stp="cancel_both", order_id="b"))
    assert [(e[4], e[6]) for e in of_kind(events, "cancelled")] == [("s1", 2), ("b", 1)]
    assert trades(events) == [] and engine.depth() == {"bids": [], "asks": []}


def test_fok_counts_stp_cancel_oldest_as_unavailable(engine, c):
    engine.process(c.sell("me", 5, 100))
    engine.process(c.sell("other", 1, 100))
    assert engine.process(c.buy("me", 2, 100, tif="FOK", stp="cancel_oldest"))[0][8] == codes.FOK_NOT_FILLABLE


# --- cancel and amend ----------------------------------------------------------------------------------
def test_cancel(engine, c):
    engine.process(c.buy("a", 5, 100, order_id="b"))
    events = engine.process(c.cancel("a", "b"))
    assert kinds(events) == ["cancelled", "book_delta"] and events[0][6:] == (5, codes.CANCELLED_BY_USER)
    assert engine.process(c.cancel("a", "b"))[0][8] == codes.UNKNOWN_ORDER


def test_cancel_by_another_account_refused(engine, c):
    engine.process(c.buy("a", 5, 100, order_id="b"))
    assert engine.process(c.cancel("mallory", "b"))[0][8] == codes.NOT_OWNER


def test_amend_quantity_decrease_keeps_priority(engine, c):
    engine.process(c.sell("m", 5, 100, order_id="first"))
    engine.process(c.sell("m", 5, 100, order_id="second"))
    events = engine.process(c.amend("m", "first", qty=2))
    assert of_kind(events, "amended")[0][6:10] == (100, 2, 2, True)
    assert engine.depth()["asks"] == [(100, 7)]
    assert [t[2] for t in trades(engine.process(c.buy("t", 3, 100)))] == ["first", "second"]


@pytest.mark.parametrize("change", [{"qty": 6}, {"price": 101}])
def test_amend_increase_or_reprice_loses_priority(engine, c, change):
    engine.process(c.sell("m", 5, 100, order_id="first"))
    engine.process(c.sell("m", 5, 100 + ("price" in change), order_id="second"))
    events = engine.process(c.amend("m", "first", **change))
    assert of_kind(events, "amended")[0][9] is False
    assert [t[2] for t in trades(engine.process(c.buy("t", 10, 101)))] == ["second", "first"]


def test_amend_crossing_trades_at_resting_price(engine, c):
    engine.process(c.sell("m", 2, 105, order_id="s"))
    engine.process(c.buy("t", 3, 100, order_id="b"))
    events = engine.process(c.amend("t", "b", price=106))
    assert trades(events) == [(105, 2, "s", "b")]
    assert engine.depth() == {"bids": [(106, 1)], "asks": []}


def test_amend_after_partial_fill_is_against_total_quantity(engine, c):
    engine.process(c.buy("a", 5, 100, order_id="b"))
    engine.process(c.sell("t", 2, 100))
    assert engine.process(c.amend("a", "b", qty=2))[0][8] == codes.INVALID_QUANTITY
    events = engine.process(c.amend("a", "b", qty=4))
    assert of_kind(events, "amended")[0][6:9] == (100, 4, 2)


def test_amend_no_change_and_post_only_cross_rejected(engine, c):
    engine.process(c.sell("m", 1, 105))
    engine.process(c.buy("a", 1, 100, order_id="b", post_only=True))
    assert engine.process(c.amend("a", "b", price=100))[0][8] == codes.AMEND_NO_CHANGE
    assert engine.process(c.amend("a", "b", price=105))[0][8] == codes.POST_ONLY_WOULD_TAKE
    assert engine.depth()["bids"] == [(100, 1)]


# --- stops ---------------------------------------------------------------------------------------------
def test_stop_limit_waits_then_triggers_on_last_trade(engine, c):
    engine.process(c.buy("s", 2, 110, order_type="stop_limit", stop_price=105, order_id="stop"))
    assert engine.depth()["bids"] == []
    engine.process(c.sell("m", 1, 104))
    assert kinds(engine.process(c.buy("t", 1, 104))).count("triggered") == 0  # last = 104 < 105
    engine.process(c.sell("m", 1, 105))
    events = engine.process(c.buy("t", 1, 105))
    assert "triggered" in kinds(events)
    assert engine.depth()["bids"] == [(110, 2)]  # triggered, nothing to take, rests as a limit


def test_stop_market_sell_triggers_and_takes(engine, c):
    engine.process(c.buy("m", 5, 95, order_id="bid"))
    engine.process(c.sell("s", 2, order_type="stop_market", tif="IOC", stop_price=100, order_id="stop"))
    engine.process(c.buy("m", 1, 100))
    events = engine.process(c.sell("t", 1, 100))  # last = 100 <= 100: triggers
    assert kinds(events) == ["accepted", "trade", "book_delta", "triggered", "trade", "book_delta"]
    assert trades(events)[1] == (95, 2, "bid", "stop")


def test_stop_triggers_immediately_if_already_reached(engine, c):
    engine.process(c.sell("m", 1, 100))
    engine.process(c.buy("t", 1, 100))
    events = engine.process(c.sell("s", 1, 90, order_type="stop_limit", stop_price=100, order_id="st"))
    assert kinds(events) == ["accepted", "triggered", "rested", "book_delta"]


def test_stops_cascade_in_sequence_order(engine, c):
    engine.process(c.sell("m", 1, 100, order_id="a1"))
    engine.process(c.sell("m", 1, 101, order_id="a2"))
    engine.process(c.sell("m", 1, 102, order_id="a3"))
    engine.process(c.buy("s", 1, 101, order_type="stop_limit", stop_price=100, order_id="st2"))
    engine.process(c.buy("s", 1, 102, order_type="stop_limit", stop_price=101, order_id="st3"))
    events = engine.process(c.buy("t", 1, 100))
    triggered = [e[4] for e in of_kind(events, "triggered")]
    assert triggered == ["st2", "st3"]
    assert [t[2] for t in trades(events)] == ["a1", "a2", "a3"]


def test_stop_can_be_cancelled_and_expires(engine, c):
    engine.process(c.buy("s", 1, 110, order_type="stop_limit", stop_price=105, order_id="st"))
    assert kinds(engine.process(c.cancel("s", "st"))) == ["cancelled"]
    engine.process(c.buy("s", 1, 110, order_type="stop_limit", stop_price=105, order_id="g", tif="GTD",
                         ts_ns=50_000, expire_ns=60_000))
    assert kinds(engine.process(c.advance(60_000))) == ["expired"]


def test_stop_amend_changes_limit_without_book_delta(engine, c):
    engine.process(c.buy("s", 1, 110, order_type="stop_limit", stop_price=105, order_id="st"))
    events = engine.process(c.amend("s", "st", price=111))
    assert kinds(events) == ["amended"]
    assert engine.order("st").price == 111


def test_stop_requires_stop_price(engine, c):
    assert engine.process(c.buy("s", 1, 110, order_type="stop_limit"))[0][8] == codes.INVALID_PRICE


def test_stop_triggers_on_any_trade_price_of_a_sweep(engine, c):
    engine.process(c.sell("m", 1, 105))
    engine.process(c.buy("t", 1, 105))  # last = 105
    engine.process(c.sell("s", 1, 90, order_type="stop_limit", stop_price=101, order_id="st"))
    for price in (100, 101, 102):
        engine.process(c.sell("m", 1, price))
    events = engine.process(c.buy("t", 3, 102))  # trades at 100, 101, 102: last ends at 102
    assert [e[4] for e in of_kind(events, "triggered")] == ["st"]  # 100 <= 101 was the last price in turn
