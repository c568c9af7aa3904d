"""What a pipeline run decided, rebuilt from its topics: trades, books and balances."""

from __future__ import annotations

from collections import defaultdict

import orjson

from connectors.kafka.serde import decode_events
from connectors.postgres.projections import journal_lines
from matcher.messages import from_dict


def by_key(records: dict[int, list[tuple[bytes | None, bytes]]]) -> dict[bytes | None, list[bytes]]:
    """Each message key's events, each as its own JSON bytes, in log order: the order Kafka promises
    consumers. (How a flow's batches cut them into records depends on timing, not on the input.)"""
    grouped: dict[bytes | None, list[bytes]] = defaultdict(list)
    for partition in sorted(records):
        for key, value in records[partition]:
            grouped[key].extend(orjson.dumps(event) for event in decode_events(value))
    return dict(grouped)


def outcome(pipeline) -> dict:
    """Trades per symbol, final L2 books and balances, each event counted once (by id or sequence)."""
    trades: dict[str, dict[int, tuple]] = defaultdict(dict)
    books: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    last_seq: dict[str, int] = defaultdict(int)
    for key, values in by_key(pipeline.read("matcher.events")).items():
        for value in values:
            event = from_dict(orjson.loads(value))
            symbol, seq = event[1], event[2]
            if seq <= last_seq[symbol]:
                continue
            last_seq[symbol] = seq
            if event[0] == "trade":
                trades[symbol][seq] = event[4:]
            elif event[0] == "book_delta":
                _, _, _, _, side, price, level_qty = event
                if level_qty:
                    books[(symbol, side)][price] = level_qty
                else:
                    books[(symbol, side)].pop(price, None)
    entries = {}
    for values in by_key(pipeline.read("ledger.events")).values():
        for value in values:
            event = from_dict(orjson.loads(value))
            if event[0] == "journal":
                entries[event[2]] = event
    balances: dict[tuple[str, str, str], int] = defaultdict(int)
    for _, account, asset, bucket, amount, *_ in journal_lines(entries.values()):
        balances[(account, asset, bucket)] += amount
    return {"trades": dict(trades), "books": dict(books),
            "balances": {k: v for k, v in balances.items() if v}, "journal": set(entries)}
