"""Events on Kafka are compact JSON objects (orjson); keys are the UTF-8 account or symbol.

Integers must fit in 64 bits (orjson refuses larger ones rather than lose precision): asset scales
are chosen so that every amount in smallest units does, as in exchange-core's `long` balances.
"""

from __future__ import annotations

from typing import Any, Mapping

import orjson


def encode_event(event: Mapping[str, Any]) -> bytes:
    # Sorted keys make the bytes a function of the event alone, so replays compare byte for byte.
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def decode_event(payload: bytes) -> dict[str, Any]:
    return orjson.loads(payload)


def encode_key(key: str) -> bytes:
    return key.encode()
