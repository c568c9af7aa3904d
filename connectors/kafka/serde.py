"""How events sit in Kafka records: a record's value is a JSON array (orjson) of one or more events
that share the record's key, in log order; the key is the UTF-8 account or symbol.

A flow writes all the events that one batch of its input caused for one key as one record, so a
consumer reads `[{"type": "trade", ...}, {"type": "book_delta", ...}]` and takes the events in array
order. Records rather than events are what cost: a produce call, a consumer's message object and
the broker's work are per record, and at a dozen events per order they cost more than matching
the order. Commands from the API are one-event arrays.

Event fields come in their schema's order (`matcher.messages.to_dict`), so equal events are equal
bytes. Integers must fit in 64 bits (orjson refuses larger ones rather than lose precision): asset
scales are chosen so that every amount in smallest units does, as in exchange-core's `long` balances.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import orjson

from connectors.kafka.errors import EventSchemaError

MAX_EVENTS_PER_RECORD = 1_000  # a few hundred kB: well under the broker's 1 MB record limit


def encode_events(events: Sequence[Mapping[str, Any]]) -> bytes:
    return orjson.dumps(events)


def decode_events(payload: bytes) -> list[dict[str, Any]]:
    """The events of one record; `EventSchemaError` unless it is a non-empty array of objects."""
    events = orjson.loads(payload)
    if type(events) is not list or not events or any(type(event) is not dict for event in events):
        raise EventSchemaError("a record's value must be a non-empty JSON array of event objects")
    return events


def encode_key(key: str) -> bytes:
    return key.encode()
