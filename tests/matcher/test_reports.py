"""Execution reports: which matcher events become which per-account reports."""

from __future__ import annotations

from matcher import codes
from matcher.engine import MatchingEngine
from matcher.reports import execution_reports
from tests.matcher.factory import Commands, make_spec


def test_trade_gives_maker_and_taker_reports():
    c, engine = Commands(), MatchingEngine(make_spec())
    engine.process(c.sell("bob", 5, 1000, order_id="s"))
    maker, taker = execution_reports(engine.process(c.buy("alice", 2, 1000, order_id="b")))
    assert (maker.account, maker.order_id, maker.liquidity, maker.fee, maker.remaining, maker.done) == \
        ("bob", "s", "maker", 2, 3, False)
    assert (taker.account, taker.order_id, taker.liquidity, taker.fee, taker.remaining, taker.done) == \
        ("alice", "b", "taker", 4, 0, True)
    assert maker.seq == taker.seq and (maker.part, taker.part) == (0, 1)
    assert taker.quote_qty == 2000 and taker.price == 1000 and taker.qty == 2


def test_cancel_expire_and_place_reject_are_done():
    c, engine = Commands(), MatchingEngine(make_spec())
    engine.process(c.sell("bob", 5, 1000, order_id="s"))
    [cancelled] = execution_reports(engine.process(c.cancel("bob", "s")))
    assert cancelled.kind == "cancelled" and cancelled.done and cancelled.qty == 5
    [rejected] = execution_reports(engine.process(c.buy("bob", 0, 1000)))
    assert rejected.kind == "rejected" and rejected.done and rejected.reason == codes.INVALID_QUANTITY


def test_duplicate_place_gives_no_report_and_amend_carries_its_command():
    c, engine = Commands(), MatchingEngine(make_spec())
    place = c.buy("alice", 5, 1000, order_id="b")
    engine.process(place)
    assert execution_reports(engine.process(place)) == []  # a replay must not release the live order's hold
    amend = c.amend("alice", "b", qty=3)
    [amended] = execution_reports(engine.process(amend))
    assert amended.kind == "amended" and amended.cmd_id == amend.cmd_id and not amended.done
    [refused] = execution_reports(engine.process(c.amend("alice", "b", qty=3)))
    assert refused.kind == "rejected" and refused.cmd_type == "amend" and not refused.done


def test_book_only_events_give_no_reports():
    c, engine = Commands(), MatchingEngine(make_spec())
    assert execution_reports(engine.process(c.buy("alice", 5, 1000))) == []
