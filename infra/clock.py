"""The exchange clock: tells every book what time it is, so GTD orders expire on a quiet symbol too.

Books read no clock (their time is the event time of their input), so an order whose expiry passes
while nobody trades that symbol would wait for the next command. Once every `interval_s` this writes
an `advance_time` command per listed symbol to `orders.accepted`, stamped with the wall clock here,
at intake, like every other command.
"""

from __future__ import annotations

import time
from typing import Iterable

from connectors.kafka.client import make_producer
from connectors.kafka.topics import ORDERS_ACCEPTED
from connectors.settings import KafkaSettings
from flows.wiring import record
from matcher.commands import AdvanceTime


def tick(kafka: KafkaSettings, symbols: Iterable[str], *, interval_s: float = 1.0, ticks: int | None = None) -> None:
    """Send one `advance_time` per symbol every `interval_s` until stopped (or `ticks` times)."""
    producer = make_producer(kafka)
    topic = kafka.topic(ORDERS_ACCEPTED.name)
    symbols = sorted(symbols)
    sent = 0
    while ticks is None or sent < ticks:
        now = time.time_ns()
        for symbol in symbols:
            command = AdvanceTime(cmd_id=f"clock-{symbol}-{now}", ts_ns=now, symbol=symbol)
            tick_record = record(topic, symbol, command)
            producer.produce(tick_record.topic, tick_record.value, tick_record.key)
        producer.flush(10)
        sent += 1
        time.sleep(max(0.0, interval_s - (time.time_ns() - now) / 1e9))
