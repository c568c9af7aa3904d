"""Ledger flow: holds funds before an order reaches a book, and settles what the matcher reports.

Input:   `account.commands` (key account): place, cancel, amend, deposit, withdraw from users, and
         execution reports from the matching flow. Its only input (SPEC §3).
State:   one `AccountLedger` per account, plus the account's forward sequence.
Outputs: `orders.accepted` (key symbol): accepted commands, each with `lseq`, the account's forward
         sequence, so the matcher drops what a replay forwards twice;
         `ledger.events` (key account): journal entries and rejections; `deadletter`.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import bytewax.operators as op
from bytewax.connectors.kafka import KafkaSinkMessage
from bytewax.dataflow import Dataflow
from bytewax.operators import StatefulBatchLogic

from connectors.kafka.topics import ACCOUNT_COMMANDS, LEDGER_EVENTS, ORDERS_ACCEPTED
from connectors.settings import FlowSettings, KafkaSettings
from flows import wiring
from matcher.ledger import AccountLedger
from matcher.snapshot import ledger_from_dict, ledger_to_dict
from matcher.symbols import SymbolSpec


class AccountLedgerLogic(StatefulBatchLogic):
    """One account's ledger inside Bytewax; emits Kafka records ready to write."""

    def __init__(self, listing: Mapping[str, SymbolSpec], kafka: KafkaSettings, resume: dict | None) -> None:
        self.listing, self.kafka = listing, kafka
        self.ledger: AccountLedger | None = None  # Bytewax does not tell a builder its key: first command does
        self.forwarded = 0
        if resume is not None:
            self.ledger, self.forwarded = ledger_from_dict(resume["ledger"], listing), resume["forwarded"]

    def on_batch(self, commands: list[Any]) -> tuple[Iterable[KafkaSinkMessage], bool]:
        if self.ledger is None:
            self.ledger = AccountLedger(commands[0].account, self.listing)
        records = []
        account = self.ledger.account
        for command in commands:
            out = self.ledger.process(command)
            for event in out.events:
                records.append(wiring.message(self.kafka, LEDGER_EVENTS, account, event))
            for forward in out.forward:
                self.forwarded += 1
                records.append(wiring.message(self.kafka, ORDERS_ACCEPTED, forward.symbol, forward,
                                              lseq=self.forwarded))
        return records, StatefulBatchLogic.RETAIN

    def snapshot(self) -> dict:
        return {"ledger": ledger_to_dict(self.ledger), "forwarded": self.forwarded}


def build_flow(kafka: KafkaSettings, flows: FlowSettings, listing: Mapping[str, SymbolSpec]) -> Dataflow:
    flow = Dataflow("ledger")
    messages = wiring.read_topics(flow, kafka, flows, [ACCOUNT_COMMANDS])
    decoded = wiring.decode(messages, kafka)
    by_account = op.key_on("by_account", decoded.oks, lambda command: command.account)
    records = op.stateful_batch("ledger", by_account, lambda resume: AccountLedgerLogic(listing, kafka, resume))
    outputs = op.merge("outputs", op.key_rm("unkey", records), decoded.errs)
    wiring.write("write", outputs, kafka)
    return flow
