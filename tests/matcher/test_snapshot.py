"""Snapshots: versioned, compact, JSON-safe, and exact (including priority, stops and expiries)."""

from __future__ import annotations

import json
import pickle

import pytest

from matcher.engine import MatchingEngine
from matcher.ledger import AccountLedger
from matcher.snapshot import engine_from_dict, engine_to_dict, ledger_from_dict, ledger_to_dict
from tests.matcher.factory import SYMBOL, Commands, make_spec


def busy_engine(c: Commands) -> MatchingEngine:
    engine = MatchingEngine(make_spec())
    for cmd in (c.sell("m", 2, 101, order_id="s1"), c.sell("n", 3, 101, order_id="s2"),
                c.buy("m", 4, 99, order_id="b1", tif="GTD", expire_ns=50_000),
                c.buy("t", 1, 105, order_type="stop_limit", stop_price=101, order_id="st"),
                c.buy("t", 1, 101)):
        engine.process(cmd)
    return engine


def test_engine_snapshot_is_versioned_json_and_exact():
    c = Commands()
    engine = busy_engine(c)
    data = json.loads(json.dumps(engine_to_dict(engine)))
    assert data["type"] == "engine_snapshot" and data["v"] == 3
    copy = engine_from_dict(data)
    assert engine_to_dict(copy) == engine_to_dict(engine)
    follow = [c.buy("x", 10, 101), c.advance(60_000), c.sell("y", 1, 50)]
    assert [copy.process(cmd) for cmd in follow] == [engine.process(cmd) for cmd in follow]


def test_engine_pickles_through_the_snapshot_form():
    engine = busy_engine(Commands())
    copy = pickle.loads(pickle.dumps(engine))
    assert engine_to_dict(copy) == engine_to_dict(engine)


def test_ledger_snapshot_round_trip():
    c = Commands()
    ledger = AccountLedger("a", {SYMBOL: make_spec()})
    ledger.process(c.deposit("a", "USDT", 10**6))
    ledger.process(c.buy("a", 3, 100, order_id="b"))
    ledger.process(c.amend("a", "b", price=120))
    data = json.loads(json.dumps(ledger_to_dict(ledger)))
    assert data["type"] == "ledger_snapshot" and data["v"] == 3
    for copy in (ledger_from_dict(data), pickle.loads(pickle.dumps(ledger))):
        assert ledger_to_dict(copy) == ledger_to_dict(ledger)


def test_unknown_version_refused():
    data = engine_to_dict(MatchingEngine(make_spec()))
    data["v"] = 99
    with pytest.raises(ValueError):
        engine_from_dict(data)
