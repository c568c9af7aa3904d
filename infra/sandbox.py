"""A sandboxed FastTrading pipeline on the shared stack, for flow tests and the pipeline benchmark.

Each sandbox has its own topic prefix, its own listing (symbols and assets nothing else uses, so
PostgreSQL rows and Redis keys never collide), and its own recovery directory; its flows run as real
`fasttrading flows run` processes that can be killed with SIGKILL and restarted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable

import orjson
from confluent_kafka import Consumer, Message, Producer, TopicPartition

from api.intake import LINGER_MS as INTAKE_LINGER_MS
from connectors.kafka.client import delete_topics, ensure_topics, make_producer
from connectors.kafka.errors import KafkaError
from connectors.kafka.topics import ACCOUNT_COMMANDS, TOPICS
from connectors.settings import KafkaSettings
from infra.stack.services import StackConfig
from flows import wiring
from flows.kafka_io import Position, Record, read_positions
from flows.runner import FLOW_INPUTS
from matcher.symbols import SymbolSpec

FASTTRADING = str(Path(sys.executable).with_name("fasttrading"))


def sandbox_listing(tag: str, symbols: int = 2) -> dict[str, SymbolSpec]:
    quote = f"Q{tag}"
    specs = [
        SymbolSpec(f"B{i}{tag}-{quote}", f"B{i}{tag}", quote, base_decimals=6, quote_decimals=4, tick_size="0.01",
                   lot_size="0.01", min_qty_lots=1, min_notional=0, maker_fee_bps=10, taker_fee_bps=20)
        for i in range(symbols)
    ]
    return {spec.symbol: spec for spec in specs}


@dataclass
class Sandbox:
    stack: StackConfig
    directory: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8].upper())
    listing_tag: str | None = None  # share another pipeline's symbols (for runs that must not meet in the stores)
    partitions: dict[str, int] = field(default_factory=dict)
    symbols: int = 2
    snapshot_interval_s: float = 0.5  # short, so a test's kill lands between snapshots often
    topic_config: dict[str, str] = field(default_factory=dict)  # Kafka topic settings of its topics
    processes: dict[str, list[subprocess.Popen]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.listing = sandbox_listing(self.listing_tag or self.tag, self.symbols)
        listing_file = self.directory / "listing.json"
        listing_file.write_bytes(orjson.dumps([spec.to_dict() for spec in self.listing.values()]))
        self.kafka = KafkaSettings(**{**self.stack.kafka.model_dump(), "topic_prefix": f"t{self.tag}.",
                                      "partitions": self.partitions})
        self.env = {
            **os.environ,
            "FASTTRADING_KAFKA_TOPIC_PREFIX": self.kafka.topic_prefix,
            "FASTTRADING_KAFKA_PARTITIONS": orjson.dumps(self.partitions).decode(),
            "FASTTRADING_LISTING_FILE": str(listing_file),
            "FASTTRADING_FLOW_RECOVERY_DIR": str(self.directory / "recovery"),
            "FASTTRADING_FLOW_SNAPSHOT_INTERVAL_S": str(self.snapshot_interval_s),
        }
        ensure_topics(self.kafka, config=self.topic_config)

    # --- flows ---------------------------------------------------------------------------------------
    def start(self, name: str, *args: str, key: str | None = None) -> subprocess.Popen:
        log = open(self.directory / f"{key or name}.log", "ab")
        process = subprocess.Popen([FASTTRADING, "flows", "run", name, *args], env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.setdefault(key or name, []).append(process)
        return process

    def kill(self, key: str) -> None:
        """SIGKILL every process of `key`: no clean shutdown, no final snapshot."""
        for process in self.processes.pop(key, []):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        for key in list(self.processes):
            self.kill(key)

    def close(self) -> None:
        """Stop the flows and delete the sandbox's topics: the shared broker keeps nothing of it."""
        self.stop()
        delete_topics(self.kafka)

    def assert_running(self) -> None:
        """Raise if a flow died (its log's end says why)."""
        for key, processes in self.processes.items():
            for process in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{key} exited: {(self.directory / f'{key}.log').read_text()[-3000:]}")

    # --- topics --------------------------------------------------------------------------------------
    @cached_property
    def intake(self) -> Producer:
        """The sandbox's order intake: one producer for all its commands, batching as the API's does."""
        return make_producer(self.kafka, **{"queue.buffering.max.messages": 2_000_000,
                                            "linger.ms": INTAKE_LINGER_MS})

    def command_record(self, command) -> Record:
        """A command as the API writes it: on `account.commands`, keyed by its account."""
        return wiring.record(self.kafka.topic(ACCOUNT_COMMANDS.name), command.account, command)

    def send(self, command) -> None:
        """Queue one command on the intake."""
        record = self.command_record(command)
        self.intake.produce(record.topic, record.value, record.key)

    def produce(self, commands: Iterable) -> int:
        """Send the commands and wait until Kafka has them all."""
        count = 0
        for count, command in enumerate(commands, 1):
            self.send(command)
            if count % 10_000 == 0:
                self.intake.poll(0)
        _flush(self.intake)
        return count

    def produce_raw(self, topic: str, records: Iterable[tuple[bytes | None, bytes]], partition: int) -> None:
        for key, value in records:
            self.intake.produce(self.kafka.topic(topic), value, key, partition=partition)
        _flush(self.intake)

    def read(self, topic: str) -> dict[int, list[tuple[bytes | None, bytes]]]:
        """Every record of `topic`, per partition, in log order."""
        return {index: [(msg.key(), msg.value()) for msg in messages]
                for index, messages in self.messages(topic).items()}

    def messages(self, topic: str) -> dict[int, list[Message]]:
        """Every Kafka message of `topic` (key, value, timestamp, ...), per partition, in log order."""
        name = self.kafka.topic(topic)
        consumer = Consumer({"bootstrap.servers": self.kafka.bootstrap_servers, "group.id": f"read-{uuid.uuid4()}",
                             "enable.auto.commit": False, "enable.partition.eof": False})
        try:
            partitions = consumer.list_topics(name, timeout=10).topics[name].partitions
            out: dict[int, list[Message]] = {}
            for index in sorted(partitions):
                low, high = consumer.get_watermark_offsets(TopicPartition(name, index), timeout=10)
                messages: list[Message] = []
                if high > low:
                    consumer.assign([TopicPartition(name, index, low)])
                    while len(messages) < high - low:
                        for msg in consumer.consume(min(10_000, high - low - len(messages)), 5):
                            if msg.error() is not None:
                                raise KafkaError(f"reading {name}: {msg.error()}")
                            messages.append(msg)
                out[index] = messages
            return out
        finally:
            consumer.close()

    def end_offsets(self) -> dict[str, int]:
        """Records per topic so far."""
        totals: dict[str, int] = {}
        for (topic, _), end in self._partition_ends().items():
            totals[topic] = totals.get(topic, 0) + end
        return totals

    def _partition_ends(self) -> dict[tuple[str, int], int]:
        consumer = Consumer({"bootstrap.servers": self.kafka.bootstrap_servers, "group.id": "offsets"})
        try:
            ends = {}
            for topic in TOPICS:
                name = self.kafka.topic(topic)
                for index in consumer.list_topics(name, timeout=10).topics[name].partitions:
                    ends[(topic, index)] = consumer.get_watermark_offsets(TopicPartition(name, index), timeout=10)[1]
            return ends
        finally:
            consumer.close()

    def _positions(self) -> dict[str, list[Position]]:
        """Where each running flow has read its inputs, keeping only what its live processes
        committed: a killed one's last commit may lie ahead of where its successor resumed."""
        readers: dict[str, set[str]] = {}
        for processes in self.processes.values():
            for process in processes:
                readers.setdefault(process.args[3], set()).add(str(process.pid))  # [fasttrading, flows, run, name]
        return {flow: [position if position.reader in pids else replace(position, committed=None, reader=None)
                       for position in read_positions(self.kafka, flow,
                                                      [self.kafka.topic(topic.name) for topic in FLOW_INPUTS[flow]])]
                for flow, pids in readers.items()}

    def settle(self, *, quiet_s: float = 1.0, timeout_s: float = 300.0,
               ready: Callable[[], bool] = lambda: True) -> None:
        """Wait until every running flow has read its inputs to their end, no topic has grown and no
        flow has moved for `quiet_s` seconds, and `ready()` holds. A flow that is starting, replaying
        or stalled is behind, however long it stays silent."""
        deadline = time.monotonic() + timeout_s
        last, quiet_since = None, time.monotonic()
        while time.monotonic() < deadline:
            self.assert_running()
            state = (self._partition_ends(), self._positions())
            if state != last:
                last, quiet_since = state, time.monotonic()
            elif (time.monotonic() - quiet_since >= quiet_s
                  and all(p.lag == 0 for positions in state[1].values() for p in positions) and ready()):
                return
            time.sleep(0.25)
        raise TimeoutError(f"pipeline {self.tag} did not settle: {last}")


def _flush(producer) -> None:
    if producer.flush(60) != 0:
        raise KafkaError("messages still unacknowledged after 60 s")
