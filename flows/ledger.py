"""Ledger flow: holds funds before an order reaches a book, and settles what the matcher reports.

Input:   `account.commands` (key account): place, cancel, amend, deposit, withdraw from users, and
         execution reports from the matching flow. Its only input (SPEC §3).
State:   keyed by the input's Kafka partition: the `AccountLedger` of every account on it, and each
         account's forward sequence. Keying by partition rather than by account keeps the log's
         order: Bytewax groups a batch by key, so per-account keys would let a later order of one
         account overtake an earlier order of another on its way to the book.
Outputs: `orders.accepted` (key symbol): accepted commands, each with `lseq`, its account's forward
         sequence, so the matcher drops what a replay forwards twice;
         `ledger.events` (key account): journal entries and rejections; `deadletter`.
"""

from __future__ import annotations

import pickle
from typing import Mapping

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.operators import StatefulBatchLogic

from connectors.kafka.topics import ACCOUNT_COMMANDS, LEDGER_EVENTS, ORDERS_ACCEPTED
from connectors.settings import FlowSettings, KafkaSettings
from flows import wiring
from flows.kafka_io import Chunk, Record
from matcher.ledger import AccountLedger
from matcher.snapshot import ledger_from_dict, ledger_to_dict
from matcher.symbols import SymbolSpec

INPUTS = (ACCOUNT_COMMANDS,)
SNAPSHOT_VERSION = 3  # 2: each account's snapshot pickled on its own; 3: matcher.snapshot v3


class PartitionLedgerLogic(StatefulBatchLogic):
    """The ledgers of one `account.commands` partition; emits Kafka records in input order."""

    def __init__(self, listing: Mapping[str, SymbolSpec], kafka: KafkaSettings, resume: dict | None) -> None:
        self.listing, self.kafka = listing, kafka
        self.ledger_events, self.orders_accepted = kafka.topic(LEDGER_EVENTS.name), kafka.topic(ORDERS_ACCEPTED.name)
        self.ledgers: dict[str, AccountLedger] = {}
        self.forwarded: dict[str, int] = {}
        # Each account's snapshot, pickled; those of accounts untouched since the last epoch are
        # reused as they are, so an epoch costs what its active accounts hold, not the whole partition.
        self.snapshots: dict[str, bytes] = {}
        self.dirty: set[str] = set()
        if resume is not None:
            wiring.check_snapshot("ledger", resume, SNAPSHOT_VERSION)
            self.snapshots, self.forwarded = dict(resume["accounts"]), dict(resume["forwarded"])
            self.ledgers = {account: ledger_from_dict(pickle.loads(data), listing)
                            for account, data in self.snapshots.items()}

    def on_batch(self, chunks: list[Chunk]) -> tuple[list[list[Record]], bool]:
        records: list[Record] = []
        output = wiring.Output()
        for chunk in chunks:
            commands, letters = wiring.decode_chunk(chunk, self.kafka, ACCOUNT_COMMANDS)
            records.extend(letters)
            for command in commands:
                self._apply(command, output)
        records.extend(output.records())
        return ([records] if records else []), StatefulBatchLogic.RETAIN

    def _apply(self, command, output: wiring.Output) -> None:
        account = command.account
        ledger = self.ledgers.get(account)
        if ledger is None:
            ledger = self.ledgers[account] = AccountLedger(account, self.listing)
        self.dirty.add(account)
        out = ledger.process(command)
        for event in out.events:
            output.add(self.ledger_events, account, event)
        for forward in out.forward:
            lseq = self.forwarded[account] = self.forwarded.get(account, 0) + 1
            output.add(self.orders_accepted, forward.symbol, forward, lseq=lseq)

    def snapshot(self) -> dict:
        for account in self.dirty:
            self.snapshots[account] = pickle.dumps(ledger_to_dict(self.ledgers[account]), pickle.HIGHEST_PROTOCOL)
        self.dirty.clear()
        return {"v": SNAPSHOT_VERSION, "accounts": dict(self.snapshots), "forwarded": dict(self.forwarded)}


def build_flow(kafka: KafkaSettings, flows: FlowSettings, listing: Mapping[str, SymbolSpec]) -> Dataflow:
    flow = Dataflow("ledger")
    by_partition = wiring.read_topics(flow, kafka, flows, INPUTS)  # keyed by partition
    records = op.stateful_batch("ledger", by_partition, lambda resume: PartitionLedgerLogic(listing, kafka, resume))
    wiring.write("write", records, kafka)
    return flow
