"""A command written to `account.commands` becomes trades, journal lines, rows and a book."""

import subprocess
import time

from connectors.kafka.serde import decode_events, encode_events
from connectors.postgres.pool import connect
from connectors.redis import keys
from connectors.redis.client import make_redis
from infra.sandbox import FASTTRADING
from matcher.commands import CancelOrder, Deposit, PlaceOrder
from matcher.messages import to_dict


def _events(pipeline, topic):
    return [event for records in pipeline.read(topic).values() for _, value in records
            for event in decode_events(value)]


def test_orders_cross_through_topics_into_postgres_and_redis(make_pipeline, stack):
    pipeline = make_pipeline()
    for name in ("ledger", "matching", "projections"):
        pipeline.start(name)
    spec = next(iter(pipeline.listing.values()))
    alice, bob, carol = (f"{name}-{pipeline.tag}" for name in ("alice", "bob", "carol"))
    now = time.time_ns()
    pipeline.produce([
        Deposit(cmd_id=f"{alice}-d", ts_ns=now, account=alice, asset=spec.quote, amount=10_000_000),
        Deposit(cmd_id=f"{bob}-d", ts_ns=now + 1, account=bob, asset=spec.base, amount=100_000_000),
        PlaceOrder(cmd_id=f"{bob}-p", ts_ns=now + 2, account=bob, symbol=spec.symbol, order_id=f"{bob}-s",
                   side="sell", price=10_000, qty=10),
    ])
    # Accounts on different partitions reach the book in arrival order: let bob's sell rest first.
    pipeline.settle(ready=lambda: any(e["type"] == "rested" for e in _events(pipeline, "matcher.events")))
    pipeline.produce([
        PlaceOrder(cmd_id=f"{alice}-p", ts_ns=now + 3, account=alice, symbol=spec.symbol, order_id=f"{alice}-b",
                   side="buy", price=10_100, qty=4),
        PlaceOrder(cmd_id=f"{carol}-p", ts_ns=now + 4, account=carol, symbol=spec.symbol, order_id=f"{carol}-b",
                   side="buy", price=10_100, qty=4),
    ])

    def projected() -> bool:
        with connect(stack.postgres) as conn:
            return conn.execute("SELECT count(*) FROM trades WHERE symbol = %s", (spec.symbol,)).fetchone()[0] > 0

    pipeline.settle(ready=projected)

    [trade] = [e for e in _events(pipeline, "matcher.events") if e["type"] == "trade"]
    assert (trade["price"], trade["qty"], trade["maker_order_id"], trade["taker_order_id"]) == (
        10_000, 4, f"{bob}-s", f"{alice}-b")
    journal = [e for e in _events(pipeline, "ledger.events") if e["type"] == "journal"]
    assert {e["reason"] for e in journal} >= {"deposit", "hold", "settle", "fee"}
    [rejection] = [e for e in _events(pipeline, "ledger.events") if e["type"] == "ledger_rejected"]
    assert (rejection["account"], rejection["reason"]) == (carol, "INSUFFICIENT_FUNDS")
    # nothing else changes for carol: no order reaches the book, no money moves
    assert all(e["account"] != carol for e in _events(pipeline, "orders.accepted"))
    assert all(carol not in (e["from_account"], e["to_account"]) for e in journal)

    with connect(stack.postgres) as conn:
        rows = conn.execute(
            "SELECT price_ticks, quantity_lots, maker_account_id, taker_account_id FROM trades WHERE symbol = %s",
            (spec.symbol,)).fetchall()
        assert rows == [(10_000, 4, bob, alice)]
        balances = dict(((account, asset), (int(a), int(h))) for account, asset, a, h in conn.execute(
            "SELECT account_id, asset, available, held FROM balances WHERE account_id IN (%s, %s, %s)",
            (alice, bob, carol)).fetchall())
        notional = spec.notional(10_000, 4)
        taker_fee, maker_fee = spec.fee(notional, 20), spec.fee(notional, 10)
        assert balances[(alice, spec.base)] == (4 * spec.base_per_lot, 0)
        assert balances[(alice, spec.quote)] == (10_000_000 - notional - taker_fee, 0)
        assert balances[(bob, spec.quote)] == (notional - maker_fee, 0)
        assert balances[(bob, spec.base)] == (100_000_000 - 10 * spec.base_per_lot, 6 * spec.base_per_lot)
        assert not any(account == carol for account, _ in balances)
        statuses = dict(conn.execute("SELECT order_id, status FROM orders WHERE symbol = %s",
                                     (spec.symbol,)).fetchall())
        assert statuses == {f"{bob}-s": "partially_filled", f"{alice}-b": "filled"}

    redis = make_redis(stack.redis)
    assert redis.hgetall(keys.book_side(spec.symbol, "sell")) == {"10000": "6"}
    assert redis.hgetall(keys.book_side(spec.symbol, "buy")) == {}
    assert redis.get(keys.last_price(spec.symbol)) == "10000"


def test_undecodable_messages_go_to_the_dead_letter_topic_and_the_flows_go_on(make_pipeline):
    pipeline = make_pipeline()
    pipeline.start("ledger")
    pipeline.start("matching")
    spec = next(iter(pipeline.listing.values()))
    other = list(pipeline.listing)[1]
    alice = f"alice-{pipeline.tag}"
    pipeline.produce_raw("account.commands", [(alice.encode(), b"{not json")], partition=0)
    # a well-formed event on the wrong topic: the registry refuses it rather than the ledger choking on it
    pipeline.produce_raw("account.commands", [(alice.encode(), encode_events([
        {"type": "book_delta", "v": 1, "symbol": spec.symbol, "seq": 1, "ts_ns": 1, "side": "buy", "price": 1,
         "level_qty": 1}]))], partition=0)
    # an event outside an array, and a record whose second event is bad: neither is applied in part
    deposit = Deposit(cmd_id=f"{alice}-y", ts_ns=1, account=alice, asset=spec.quote, amount=5)
    pipeline.produce_raw("account.commands", [(alice.encode(), encode_events([to_dict(deposit)])[1:-1]),
                                              (alice.encode(), encode_events([to_dict(deposit), {"type": "place"}]))],
                         partition=0)
    forwarded = Deposit(cmd_id=f"{alice}-x", ts_ns=1, account=alice, asset=spec.quote, amount=1)
    pipeline.produce_raw("orders.accepted", [(other.encode(), encode_events([{"type": "place", "v": 9}]))],
                         partition=0)
    # a command keyed by one symbol but naming another would reach the wrong book
    misrouted = CancelOrder(cmd_id=f"{alice}-c", ts_ns=1, account=alice, symbol=spec.symbol, order_id="o")
    pipeline.produce_raw("orders.accepted", [(other.encode(), encode_events([to_dict(misrouted)]))], partition=0)
    pipeline.produce([forwarded])

    pipeline.settle(ready=lambda: pipeline.end_offsets()["deadletter"] == 6)
    letters = _events(pipeline, "deadletter")
    assert sorted((letter["source_topic"].split(".", 1)[1], letter["reason"].split(":")[0]) for letter in letters) == [
        ("account.commands", "EventSchemaError"), ("account.commands", "EventSchemaError"),
        ("account.commands", "EventSchemaError"), ("account.commands", "JSONDecodeError"),
        ("orders.accepted", "EventSchemaError"), ("orders.accepted", "ValueError")]
    assert any("is not the command's symbol" in letter["reason"] for letter in letters)
    assert any("non-empty JSON array" in letter["reason"] for letter in letters)
    assert {letter["value"] for letter in letters} >= {"{not json", '[{"type":"place","v":9}]'}
    # the deposit behind the broken message still went through
    assert [e["entry_id"] for e in _events(pipeline, "ledger.events")] == [f"{alice}-x:0"]


def test_the_clock_expires_a_gtd_order_on_a_quiet_symbol_and_the_ledger_releases_its_hold(make_pipeline):
    pipeline = make_pipeline()
    pipeline.start("ledger")
    pipeline.start("matching")
    spec = next(iter(pipeline.listing.values()))
    alice, now = f"alice-{pipeline.tag}", time.time_ns()
    pipeline.produce([
        Deposit(cmd_id=f"{alice}-d", ts_ns=now, account=alice, asset=spec.quote, amount=10_000_000),
        PlaceOrder(cmd_id=f"{alice}-p", ts_ns=now + 1, account=alice, symbol=spec.symbol, order_id=f"{alice}-b",
                   side="buy", price=10_000, qty=4, tif="GTD", expire_ns=now + 2 * 10**9),
    ])
    # Start the clock once the order rests: a tick past the expiry that reached the book first would
    # (rightly) make the book refuse the order as already expired.
    pipeline.settle(ready=lambda: any(e["type"] == "rested" for e in _events(pipeline, "matcher.events")))
    clock = subprocess.Popen([FASTTRADING, "clock", "--interval-s", "0.5"], env=pipeline.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        # the clock keeps ticking, so wait for the release itself rather than for quiet topics
        deadline = time.monotonic() + 120
        while not any(e.get("reason") == "release" for e in _events(pipeline, "ledger.events")):
            pipeline.assert_running()
            assert time.monotonic() < deadline, "the GTD order did not expire"
            time.sleep(0.5)
    finally:
        clock.kill()
        clock.wait()
    [expired] = [e for e in _events(pipeline, "matcher.events") if e["type"] == "expired"]
    assert (expired["order_id"], expired["remaining"]) == (f"{alice}-b", 4)
    journal = [e for e in _events(pipeline, "ledger.events") if e["type"] == "journal"]
    hold = next(e["amount"] for e in journal if e["reason"] == "hold")
    assert [e["amount"] for e in journal if e["reason"] == "release"] == [hold]
