"""Matching flow: one order book per symbol, price-time priority.

Input:   `orders.accepted` (key symbol): place, cancel and amend forwarded by the ledger (each with
         `lseq`, its account's forward sequence), and `advance_time`. Its only input (SPEC §3).
State:   one `MatchingEngine` per symbol, plus the last `lseq` applied per account, so commands a
         restarted ledger forwards a second time are dropped before they reach the book.
Outputs: `matcher.events` (key symbol): every event, with the symbol's sequence number;
         `account.commands` (key account): execution reports for the ledger; `deadletter`.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Iterable, Mapping

import bytewax.operators as op
from bytewax.connectors.kafka import KafkaSinkMessage, KafkaSourceMessage
from bytewax.dataflow import Dataflow
from bytewax.operators import StatefulBatchLogic

from connectors.kafka.topics import ACCOUNT_COMMANDS, MATCHER_EVENTS, ORDERS_ACCEPTED
from connectors.settings import FlowSettings, KafkaSettings
from flows import wiring
from matcher.engine import MatchingEngine
from matcher.messages import from_dict
from matcher.reports import execution_reports
from matcher.snapshot import engine_from_dict, engine_to_dict
from matcher.symbols import SymbolSpec

SNAPSHOT_VERSION = 1


def parse_forwarded(listing: Mapping[str, SymbolSpec], data: dict) -> tuple[int | None, Any]:
    """(lseq, command): `lseq` is None for commands that no ledger forwarded (`advance_time`)."""
    lseq, command = data.pop("lseq", None), from_dict(data)
    if command.symbol not in listing:
        raise ValueError(f"{command.symbol!r} is not listed")
    return lseq, command


class SymbolBookLogic(StatefulBatchLogic):
    """One symbol's matching engine inside Bytewax; emits Kafka records ready to write."""

    def __init__(self, listing: Mapping[str, SymbolSpec], kafka: KafkaSettings, resume: dict | None) -> None:
        self.listing, self.kafka = listing, kafka
        self.parse = partial(parse_forwarded, listing)
        self.engine: MatchingEngine | None = None  # built from the first command's symbol
        self.applied: dict[str, int] = {}  # account -> last lseq applied
        if resume is not None:
            wiring.check_snapshot("matching", resume, SNAPSHOT_VERSION)
            self.engine = None if resume["engine"] is None else engine_from_dict(resume["engine"])
            self.applied = dict(resume["applied"])

    def on_batch(self, messages: list[KafkaSourceMessage]) -> tuple[Iterable[KafkaSinkMessage], bool]:
        letters, events = [], []
        for msg in messages:
            item = wiring.decode_one(msg, self.kafka, ORDERS_ACCEPTED, self.parse)
            if type(item) is KafkaSinkMessage:
                letters.append(item)
                continue
            lseq, command = item
            if self.engine is None:
                self.engine = MatchingEngine(self.listing[command.symbol])
            elif command.symbol != self.engine.symbol:  # keyed by the Kafka key: a producer's mistake
                letters.append(wiring.dead_letter(msg, self.kafka, "message key is not the command's symbol"))
                continue
            if lseq is not None:
                if lseq <= self.applied.get(command.account, 0):
                    continue  # forwarded again by a ledger replaying after a restart
                self.applied[command.account] = lseq
            events.extend(self.engine.process(command))
        if not events:
            return letters, StatefulBatchLogic.RETAIN
        symbol = self.engine.symbol
        records = [wiring.message(self.kafka, MATCHER_EVENTS, symbol, event) for event in events]
        records.extend(
            wiring.message(self.kafka, ACCOUNT_COMMANDS, report.account, report)
            for report in execution_reports(events)
        )
        records.extend(letters)
        return records, StatefulBatchLogic.RETAIN

    def snapshot(self) -> dict:
        engine = None if self.engine is None else engine_to_dict(self.engine)  # only dead letters so far
        return {"v": SNAPSHOT_VERSION, "engine": engine, "applied": dict(self.applied)}


def build_flow(kafka: KafkaSettings, flows: FlowSettings, listing: Mapping[str, SymbolSpec]) -> Dataflow:
    flow = Dataflow("matching")
    messages = wiring.read_topics(flow, kafka, flows, [ORDERS_ACCEPTED])
    # orders.accepted is keyed by symbol: the Kafka key routes, and the logic checks it against the command
    by_symbol = op.key_on("by_symbol", messages, lambda msg: (msg.key or b"").decode(errors="replace"))
    records = op.stateful_batch("matching", by_symbol, lambda resume: SymbolBookLogic(listing, kafka, resume))
    wiring.write("write", op.key_rm("unkey", records), kafka)
    return flow
