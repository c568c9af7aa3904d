"""Dedupe in bounded memory: the recent-ids window, and the ledger and book that rely on it."""

from unittest.mock import patch

import orjson
from hypothesis import given
from hypothesis import strategies as st

from matcher import codes
from matcher.engine import MatchingEngine
from matcher.ledger import AccountLedger
from matcher import recent as recent_module
from matcher.recent import DEDUPE_WINDOW_NS, RecentIds
from matcher.snapshot import engine_from_dict, engine_to_dict, ledger_from_dict, ledger_to_dict
from tests.matcher.factory import SYMBOL, Commands, kinds, make_spec

HOUR = DEDUPE_WINDOW_NS


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 40)), max_size=300), st.integers(1, 15),
       st.lists(st.sampled_from([2, 3, 32, 512]), min_size=1, max_size=3))
def test_an_id_is_remembered_exactly_while_inside_the_window_and_restored_so(adds, window, block_sizes):
    """Restores may change the block size: a window saved by an older build keeps its blocks."""
    recent, added, clock = RecentIds(window), {}, 0
    for step, (id_number, delta) in enumerate(adds):
        with patch.object(recent_module, "BLOCK_SIZE", block_sizes[step // 2 % len(block_sizes)]):
            clock += delta  # event time only moves forward here
            recent.add(f"id{id_number}", clock)
            # what the window should hold
            added = {id_: ts for id_, ts in added.items() if ts >= clock - window}
            added.setdefault(f"id{id_number}", clock)
            assert set(recent.ids) == set(added)
            assert sum(len(block) for block in recent.blocks) - recent.head == len(added)
            if step % 2:  # a restored window holds the same and goes on exactly as the original
                restored = RecentIds.from_snapshot(orjson.loads(orjson.dumps(recent.to_snapshot())), window)
                assert restored.ids == recent.ids and restored.to_snapshot() == recent.to_snapshot()
                recent = restored
            # every block but a filling last one carries its JSON, made when it filled
            assert len(recent.blocks) - len(recent.encoded) in (0, 1)
            assert all(orjson.loads(text) == [[ts for ts, _ in block], [id_ for _, id_ in block]]
                       for text, block in zip(recent.encoded, recent.blocks))
    restored = RecentIds.from_snapshot(recent.to_snapshot(), window)
    assert restored.to_snapshot() == recent.to_snapshot() and restored.ids == recent.ids


def test_the_ledger_forgets_old_commands_but_refuses_stale_copies():
    c = Commands()
    ledger = AccountLedger("alice", {SYMBOL: make_spec()})
    deposit = c.deposit("alice", "USDT", 10**9)
    assert ledger.process(deposit).events[0][0] == "journal"
    assert ledger.process(deposit).events[0][-1] == codes.DUPLICATE
    for hour in range(1, 6):  # a command an hour, so every earlier one leaves the window
        ledger.process(c.buy("alice", 1, 100, ts_ns=hour * HOUR + 1))
    assert len(ledger.seen_commands) <= 2 and len(ledger.seen_orders) <= 2
    assert ledger.process(deposit).events[0][-1] == codes.STALE  # forgotten, yet not applied again
    assert ledger.balance("USDT")[0] + ledger.balance("USDT")[1] == 10**9


def test_a_live_order_older_than_the_window_still_owns_its_id():
    c = Commands()
    ledger = AccountLedger("alice", {SYMBOL: make_spec()})
    engine = MatchingEngine(make_spec())
    ledger.process(c.deposit("alice", "USDT", 10**9))
    first = c.buy("alice", 1, 100, order_id="keep")
    assert ledger.process(first).forward and kinds(engine.process(first)) == ["accepted", "rested", "book_delta"]
    for hour in range(1, 4):
        other = c.buy("alice", 1, 90, ts_ns=hour * HOUR)
        ledger.process(other)
        engine.process(other)
    again = c.buy("alice", 1, 100, order_id="keep")
    assert ledger.process(again).events[0][-1] == codes.DUPLICATE
    assert engine.process(again)[-1][8] == codes.DUPLICATE
    assert engine.process(c.buy("bob", 1, 100, order_id="late", ts_ns=HOUR))[-1][8] == codes.STALE


def test_snapshots_carry_the_window():
    c = Commands()
    ledger, engine = AccountLedger("alice", {SYMBOL: make_spec()}), MatchingEngine(make_spec())
    ledger.process(c.deposit("alice", "USDT", 10**9))
    place = c.buy("alice", 1, 100, order_id="o")
    ledger.process(place)
    engine.process(place)
    ledger, engine = ledger_from_dict(ledger_to_dict(ledger)), engine_from_dict(engine_to_dict(engine))
    assert ledger.process(place).events[0][-1] == codes.DUPLICATE
    assert engine.process(place)[-1][8] == codes.DUPLICATE
