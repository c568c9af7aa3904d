"""The market simulator: synthetic traders placing and cancelling orders on the listing, paced in
real time, so a freshly started platform has books, trades and candles to look at.

It is an intake point like the API: commands get their event time from the wall clock here, once,
and go to `account.commands` keyed by account. It runs in rounds; each round funds its traders and
then streams a seeded batch of orders (see `infra.workload`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Mapping

from connectors.kafka.client import make_producer
from connectors.kafka.topics import ACCOUNT_COMMANDS
from connectors.settings import KafkaSettings
from flows.wiring import record
from infra.workload import synthetic_commands
from matcher.symbols import SymbolSpec

ROUND_ORDERS = 5_000
# Opening mid prices (decimal strings), where a listed symbol has one; others open at the workload's mid.
OPENING_PRICES = {"BTC-USDT": "65000.00", "ETH-USDT": "3500.00", "SOL-USDT": "150.000"}


def simulate(kafka: KafkaSettings, listing: Mapping[str, SymbolSpec], *, rate: float, traders: int,
             rounds: int | None = None) -> None:
    """Produce orders at `rate` per second until stopped (or for `rounds` rounds)."""
    producer = make_producer(kafka)
    topic = kafka.topic(ACCOUNT_COMMANDS.name)
    mids = {symbol: spec.price_to_ticks(OPENING_PRICES[symbol])
            for symbol, spec in listing.items() if symbol in OPENING_PRICES}
    round_index = 0
    while rounds is None or round_index < rounds:
        started = time.time_ns()
        stream = synthetic_commands(listing, accounts=traders, orders=ROUND_ORDERS, seed=round_index,
                                    start_ns=started, id_prefix=f"sim{started}-", mids=mids)
        for sent, command in enumerate(stream):
            due = started + int(sent * 1e9 / rate)
            pause = (due - time.time_ns()) / 1e9
            if pause > 0:
                time.sleep(pause)
            command = dataclasses.replace(command, ts_ns=time.time_ns())
            command_record = record(topic, command.account, command)
            producer.produce(command_record.topic, command_record.value, command_record.key)
            producer.poll(0)
        producer.flush(30)
        round_index += 1
