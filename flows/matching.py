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
from typing import Any, Mapping

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.operators import StatefulBatchLogic

from connectors.kafka.topics import ACCOUNT_COMMANDS, MATCHER_EVENTS, ORDERS_ACCEPTED
from connectors.settings import FlowSettings, KafkaSettings
from flows import wiring
from flows.kafka_io import Chunk, Record
from matcher.engine import MatchingEngine
from matcher.messages import from_dict
from matcher.reports import execution_reports
from matcher.snapshot import engine_from_dict, engine_to_dict
from matcher.symbols import SymbolSpec

INPUTS = (ORDERS_ACCEPTED,)
SNAPSHOT_VERSION = 3  # 2: engines snapshot their recent order ids (matcher.snapshot v2); 3: v3


def parse_forwarded(listing: Mapping[str, SymbolSpec], key_symbol: str, data: dict) -> tuple[int | None, Any]:
    """(lseq, command) of a record keyed `key_symbol`: `lseq` is None for commands that no ledger
    forwarded (`advance_time`). The key routes the record to a book, so it must be the command's symbol."""
    lseq, command = data.pop("lseq", None), from_dict(data)
    if command.symbol != key_symbol:
        raise ValueError(f"the record's key {key_symbol!r} is not the command's symbol {command.symbol!r}")
    if command.symbol not in listing:
        raise ValueError(f"{command.symbol!r} is not listed")
    return lseq, command


def symbol_of_key(key: bytes | None) -> str:
    return (key or b"").decode(errors="replace")


class SymbolBookLogic(StatefulBatchLogic):
    """One symbol's matching engine inside Bytewax; emits Kafka records ready to write."""

    def __init__(self, listing: Mapping[str, SymbolSpec], kafka: KafkaSettings, resume: dict | None) -> None:
        self.listing, self.kafka = listing, kafka
        self.matcher_events, self.account_commands = kafka.topic(MATCHER_EVENTS.name), kafka.topic(ACCOUNT_COMMANDS.name)
        self.engine: MatchingEngine | None = None  # built from the first command's symbol
        self.applied: dict[str, int] = {}  # account -> last lseq applied
        if resume is not None:
            wiring.check_snapshot("matching", resume, SNAPSHOT_VERSION)
            self.engine = None if resume["engine"] is None else engine_from_dict(resume["engine"])
            self.applied = dict(resume["applied"])

    def on_batch(self, chunks: list[Chunk]) -> tuple[list[list[Record]], bool]:
        records: list[Record] = []
        events: list[tuple] = []
        for chunk in chunks:
            key_symbol = symbol_of_key(chunk.records[0][0])  # a chunk's records share their key
            parse = partial(parse_forwarded, self.listing, key_symbol)
            commands, letters = wiring.decode_chunk(chunk, self.kafka, ORDERS_ACCEPTED, parse)
            records.extend(letters)
            for lseq, command in commands:
                if self.engine is None:
                    self.engine = MatchingEngine(self.listing[command.symbol])
                if lseq is not None:
                    if lseq <= self.applied.get(command.account, 0):
                        continue  # forwarded again by a ledger replaying after a restart
                    self.applied[command.account] = lseq
                events.extend(self.engine.process(command))
        if events:
            symbol = self.engine.symbol
            output = wiring.Output()
            for event in events:
                output.add(self.matcher_events, symbol, event)
            for report in execution_reports(events):
                output.add(self.account_commands, report.account, report)
            records.extend(output.records())
        return ([records] if records else []), StatefulBatchLogic.RETAIN

    def snapshot(self) -> dict:
        engine = None if self.engine is None else engine_to_dict(self.engine)  # only dead letters so far
        return {"v": SNAPSHOT_VERSION, "engine": engine, "applied": dict(self.applied)}


def build_flow(kafka: KafkaSettings, flows: FlowSettings, listing: Mapping[str, SymbolSpec]) -> Dataflow:
    flow = Dataflow("matching")
    # orders.accepted is keyed by symbol: the Kafka key routes, and the logic checks it against the command
    by_symbol = wiring.read_topics(flow, kafka, flows, INPUTS, route=symbol_of_key)
    records = op.stateful_batch("matching", by_symbol, lambda resume: SymbolBookLogic(listing, kafka, resume))
    wiring.write("write", records, kafka)
    return flow
