"""Every command, report and event round-trips through JSON exactly, with `type` and `v`."""

from __future__ import annotations

import json

import pytest

from matcher.exchange import Exchange
from matcher.messages import decode, encode, from_dict, to_dict
from matcher.reports import execution_reports
from tests.matcher.factory import Commands, make_spec


def sample_messages():
    c = Commands()
    ex = Exchange([make_spec()])
    commands = [c.deposit("a", "USDT", 10**9), c.deposit("b", "BTC", 10**9), c.withdraw("a", "USDT", 1),
                c.sell("b", 5, 100, order_id="s", tif="GTD", expire_ns=10**9),
                c.sell("b", 1, 500, order_id="s2", tif="GTD", expire_ns=10**9),
                c.sell("b", 1, 900, order_id="s3", tif="GTD", expire_ns=10**9),
                c.buy("a", 2, 100, order_id="b1"), c.amend("b", "s", qty=4),
                c.buy("a", 1, 100, post_only=True),
                c.buy("a", 1, 120, order_type="stop_limit", stop_price=100, order_id="st"),
                c.buy("a", 3, order_type="market", tif="IOC", quote_budget=700), c.cancel("a", "nope"),
                c.advance(2 * 10**9)]
    out = list(commands)
    for cmd in commands:
        result = ex.process(cmd)
        out += result.ledger_events + result.matcher_events + execution_reports(result.matcher_events)
    return out


@pytest.mark.parametrize("message", sample_messages(), ids=lambda m: m[0] if type(m) is tuple else m.type)
def test_round_trip(message):
    data = to_dict(message)
    assert data["v"] == 1 and isinstance(data["type"], str)
    assert json.loads(json.dumps(data)) == data
    assert all(v is None or type(v) in (int, str, bool) for v in data.values())
    assert from_dict(data) == message
    assert decode(encode(message)) == message
    assert encode(decode(encode(message))) == encode(message)


def test_sample_covers_every_event_type():
    kinds = {to_dict(m)["type"] for m in sample_messages()}
    assert {"accepted", "rested", "rejected", "trade", "cancelled", "expired", "amended", "triggered",
            "book_delta", "journal", "ledger_rejected", "report", "place", "cancel", "amend", "deposit",
            "withdraw", "advance_time"} <= kinds


def test_unknown_type_or_version_refused():
    with pytest.raises(ValueError):
        from_dict({"type": "teleport", "v": 1})
    with pytest.raises(ValueError):
        from_dict({"type": "cancel", "v": 2})
