"""Projections of matcher and ledger events into Redis: L2 books, last prices, and pub/sub fan-out.

A symbol's events are applied once: `book:{symbol}:seq` records the last sequence applied, events
at or below it are skipped (a replay after a restart), and each batch's changes and the new
sequence commit together in one MULTI/EXEC. Each symbol has a single writer (its Kafka partition's
projection worker), so reading the sequence first is race-free.
"""

from __future__ import annotations

from collections import defaultdict

import orjson
import redis

from connectors.redis import keys
from matcher.events import FIELDS
from matcher.messages import to_dict

ORDER_EVENT_TYPES = frozenset({"accepted", "rested", "rejected", "cancelled", "expired", "amended", "triggered"})


def project(client: redis.Redis, matcher_events: list[tuple], ledger_events: list[tuple]) -> None:
    by_symbol: dict[str, list[tuple]] = defaultdict(list)
    for event in matcher_events:
        by_symbol[event[1]].append(event)
    symbols = sorted(by_symbol)
    applied = client.mget([keys.book_seq(symbol) for symbol in symbols]) if symbols else []
    pipe = client.pipeline(transaction=True)
    for symbol, last in zip(symbols, applied):
        fresh = [event for event in by_symbol[symbol] if event[2] > int(last or 0)]
        for event in fresh:
            _apply_matcher_event(pipe, event)
        if fresh:
            pipe.set(keys.book_seq(symbol), fresh[-1][2])
    for event in ledger_events:
        if event[0] == "ledger_rejected":
            pipe.publish(keys.orders_channel(event[1]), orjson.dumps(to_dict(event)))
    pipe.execute()


def _apply_matcher_event(pipe: redis.client.Pipeline, event: tuple) -> None:
    kind, symbol = event[0], event[1]
    payload = orjson.dumps(to_dict(event))
    if kind == "book_delta":
        _, _, _, _, side, price, level_qty = event
        if level_qty:
            pipe.hset(keys.book_side(symbol, side), price, level_qty)
        else:
            pipe.hdel(keys.book_side(symbol, side), price)
        pipe.publish(keys.book_channel(symbol), payload)
    elif kind == "trade":
        fields = dict(zip(FIELDS["trade"], event))
        pipe.set(keys.last_price(symbol), fields["price"])
        pipe.publish(keys.trades_channel(symbol), payload)
        pipe.publish(keys.prices_channel(symbol), orjson.dumps(
            {"type": "price", "symbol": symbol, "price": fields["price"], "seq": fields["seq"],
             "ts_ns": fields["ts_ns"]}))
        for account in {fields["maker_account"], fields["taker_account"]}:
            pipe.publish(keys.orders_channel(account), payload)
    elif kind in ORDER_EVENT_TYPES:
        pipe.publish(keys.orders_channel(event[5] if kind != "rejected" else event[7]), payload)
