"""Kafka in and out of the flows, a batch at a time.

Bytewax's own Kafka connectors move one `KafkaSourceMessage` / `KafkaSinkMessage` object per
record through the dataflow; at a dozen records per order, building and routing those objects cost
more than matching the order. Here a poll of one Kafka partition becomes one item per routing key,
a `Chunk` of raw records, and a step's output for a whole batch is one item, a list of
`Record`s. Nothing about delivery changes: the source resumes from the offsets stored in the
epoch's snapshot, and the sink waits for every record of a batch to be acknowledged (acks=all,
idempotent producer) before Bytewax may close the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, NamedTuple

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from connectors.kafka.client import consumer_config, make_admin, make_producer
from connectors.kafka.errors import KafkaError
from connectors.settings import KafkaSettings

IDLE_WAIT = timedelta(milliseconds=1)  # how long a partition with nothing new is left alone


class Record(NamedTuple):
    """One record to write: topic, key and value, ready for the producer."""

    topic: str
    key: bytes | None
    value: bytes


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive records of one Kafka partition that share a routing key, in log order."""

    topic: str
    partition: int
    records: list[tuple[bytes | None, bytes, int]]  # (key, value, offset)


# How a partition's records are grouped into items: by the partition itself (`None`, one item per
# poll), or by a function of each record's key.
RouteKey = Callable[[bytes | None], str] | None


class _PartitionReader(StatefulSourcePartition[tuple[str, Chunk], int]):
    def __init__(self, kafka: KafkaSettings, topic: str, partition: int, next_offset: int | None,
                 batch_size: int, route: RouteKey) -> None:
        self.topic, self.partition, self.batch_size, self.route = topic, partition, batch_size, route
        self.next_offset = OFFSET_BEGINNING if next_offset is None else next_offset
        self.partition_key = f"{topic}:{partition}"
        self.consumer = Consumer(consumer_config(kafka, "fasttrading-flows-unused",
                                                 **{"enable.partition.eof": False}))
        self.consumer.assign([TopicPartition(topic, partition, self.next_offset)])
        self.idle = False

    def next_batch(self) -> list[tuple[str, Chunk]]:
        messages = self.consumer.consume(self.batch_size, 0)
        self.idle = not messages
        if not messages:
            return []
        for message in messages:
            if message.error() is not None:
                raise KafkaError(f"reading {self.partition_key}: {message.error()}")
        self.next_offset = messages[-1].offset() + 1
        if self.route is None:
            records = [(m.key(), m.value(), m.offset()) for m in messages]
            return [(self.partition_key, Chunk(self.topic, self.partition, records))]
        groups: dict[str, list] = {}
        route = self.route
        for m in messages:
            key = m.key()
            groups.setdefault(route(key), []).append((key, m.value(), m.offset()))
        return [(key, Chunk(self.topic, self.partition, records)) for key, records in groups.items()]

    def next_awake(self) -> datetime | None:
        # Polled again at once while records come; an idle partition rests a moment.
        return datetime.now(timezone.utc) + IDLE_WAIT if self.idle else None

    def snapshot(self) -> int:
        return self.next_offset

    def close(self) -> None:
        self.consumer.close()


class ChunkSource(FixedPartitionedSource[tuple[str, Chunk], int]):
    """Every partition of `topics`, from the start or from the snapshot's offsets, as keyed `Chunk`s."""

    def __init__(self, kafka: KafkaSettings, topics: Iterable[str], batch_size: int, route: RouteKey = None) -> None:
        self.kafka, self.topics, self.batch_size, self.route = kafka, list(topics), batch_size, route

    def list_parts(self) -> list[str]:
        metadata = make_admin(self.kafka).list_topics(timeout=10).topics
        parts = []
        for topic in self.topics:
            if topic not in metadata or metadata[topic].error is not None:
                raise KafkaError(f"topic {topic} is not available: run `fasttrading stack up` first")
            # named as Bytewax's own Kafka source names them, so offsets in older snapshots still apply
            parts.extend(f"{index}-{topic}" for index in sorted(metadata[topic].partitions))
        return parts

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _PartitionReader:
        index, _, topic = for_part.partition("-")
        return _PartitionReader(self.kafka, topic, int(index), resume_state, self.batch_size, self.route)


class _Producer(StatelessSinkPartition[list[Record]]):
    def __init__(self, kafka: KafkaSettings) -> None:
        self.failures: list[str] = []
        # Only failed deliveries call back: a success costs no Python call.
        self.producer = make_producer(kafka, **{"queue.buffering.max.messages": 1_000_000,
                                                "delivery.report.only.error": True,
                                                "on_delivery": self._delivered})

    def _delivered(self, error, message) -> None:
        if error is not None:
            self.failures.append(f"{message.topic()}: {error}")

    def write_batch(self, batches: list[list[Record]]) -> None:
        produce = self.producer.produce
        for records in batches:
            for topic, key, value in records:
                try:
                    produce(topic, value, key)
                except BufferError:  # the local queue is full: let deliveries drain it, then retry
                    self.producer.flush()
                    produce(topic, value, key)
        # Acknowledged before the epoch can close: a snapshot never gets ahead of what Kafka holds.
        if self.producer.flush(60) != 0 or self.failures:
            raise KafkaError(f"records not acknowledged: {self.failures[:3] or 'still queued after 60 s'}")

    def close(self) -> None:
        self.producer.flush(60)


class RecordSink(DynamicSink[list[Record]]):
    """Writes lists of `Record`s with the shared idempotent acks=all producer settings."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _Producer:
        return _Producer(self.kafka)
