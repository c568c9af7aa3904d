"""Kafka in and out of the flows, a batch at a time.

Bytewax's own Kafka connectors move one `KafkaSourceMessage` / `KafkaSinkMessage` object per
record through the dataflow; at a dozen records per order, building and routing those objects cost
more than matching the order. Here a poll of one Kafka partition becomes one item per routing key,
a `Chunk` of raw records, and a step's output for a whole batch is one item, a list of
`Record`s. Delivery stays at least once: the source resumes from the offsets stored in the epoch's
snapshot, and the sink's snapshot waits until Kafka has acknowledged every record it was given
(acks=all, idempotent producer), so no epoch is recorded as done ahead of what Kafka holds. Between
snapshots the workers go on while the producer sends: records of many batches share a request.

How far a flow has read is also committed to Kafka, under the flow's consumer group, at every
snapshot: operators see its lag with Kafka's own tools, and a test knows when a pipeline has
answered everything. A restart never resumes from those commits, only from the snapshot.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, NamedTuple

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from connectors.kafka.client import consumer_config, make_admin, make_producer
from connectors.kafka.errors import KafkaError
from connectors.settings import KafkaSettings

IDLE_WAIT = timedelta(milliseconds=1)  # how long a partition with nothing new is left alone
LINGER_MS = 5  # how long a record may wait for others to share its request (a request costs the broker)
READER_ID = str(os.getpid())  # the metadata of a position commit: which process read that far


def positions_group(kafka: KafkaSettings, flow_name: str) -> str:
    """The consumer group under which flow `flow_name` commits how far it has read."""
    return f"{kafka.topic_prefix}fasttrading-{flow_name}"


@dataclass(frozen=True, slots=True)
class Position:
    """How far a flow has read one partition of its input, as last committed."""

    topic: str
    partition: int
    committed: int | None  # the next offset to read; None before the flow has read anything
    start: int  # the partition's first and next offsets, now
    end: int
    reader: str | None  # the pid of the process that committed it

    @property
    def lag(self) -> int:
        """Records written but not yet read (as of the last commit)."""
        return self.end - (self.start if self.committed is None else self.committed)


def read_positions(kafka: KafkaSettings, flow_name: str, topics: Iterable[str]) -> list[Position]:
    """Flow `flow_name`'s committed position in every partition of `topics` (full topic names)."""
    consumer = Consumer(consumer_config(kafka, positions_group(kafka, flow_name)))
    try:
        partitions = [TopicPartition(topic, index) for topic in topics
                      for index in sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)]
        positions = []
        for tp in consumer.committed(partitions, timeout=10):
            start, end = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10)
            positions.append(Position(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else None, start, end,
                                      tp.metadata or None))
        return positions
    except KafkaException as exc:
        raise KafkaError(f"reading the positions of the {flow_name} flow: {exc}") from exc
    finally:
        consumer.close()


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


class _WorkerConsumer:
    """One consumer for every partition a worker reads: one client fetches them all in one request,
    where a consumer per partition would send a fetch per partition, and a request costs the broker
    far more than a record. Each poll's records wait in their partition's buffer for its reader."""

    def __init__(self, kafka: KafkaSettings, group: str, batch_size: int, gather_ms: int | None) -> None:
        # A fetch is answered as soon as records arrive, unless the source asked to gather them a while.
        gather = {} if gather_ms is None else {"fetch.wait.max.ms": gather_ms, "fetch.min.bytes": 1 << 20}
        self.consumer = Consumer(consumer_config(kafka, group, **gather))
        self.batch_size = batch_size
        self.buffers: dict[tuple[str, int], list] = {}

    def add(self, topic: str, partition: int, offset: int) -> None:
        self.buffers[(topic, partition)] = []
        self.consumer.incremental_assign([TopicPartition(topic, partition, offset)])

    def take(self, topic: str, partition: int) -> list:
        """The records of one partition that have arrived, up to a batch, in log order."""
        buffer = self.buffers[(topic, partition)]
        if not buffer:
            buffers = self.buffers
            for message in self.consumer.consume(self.batch_size, 0):
                if message.error() is not None:
                    raise KafkaError(f"reading {message.topic()}:{message.partition()}: {message.error()}")
                buffers[(message.topic(), message.partition())].append(message)
        taken = buffer[:self.batch_size]
        del buffer[:self.batch_size]
        return taken

    def commit(self, topic: str, partition: int, offset: int) -> None:
        """Publish a partition's position (best effort: it informs, it is never resumed from)."""
        self.consumer.commit(offsets=[TopicPartition(topic, partition, offset, metadata=READER_ID)],
                             asynchronous=True)

    def remove(self, topic: str, partition: int) -> bool:
        """Stop reading a partition; True when none is left and the consumer is closed."""
        del self.buffers[(topic, partition)]
        if self.buffers:
            self.consumer.incremental_unassign([TopicPartition(topic, partition)])
            return False
        self.consumer.close()
        return True


class _PartitionReader(StatefulSourcePartition[tuple[str, Chunk], int]):
    def __init__(self, source: ChunkSource, consumer: _WorkerConsumer, topic: str, partition: int,
                 next_offset: int | None) -> None:
        self.source, self.consumer, self.topic, self.partition = source, consumer, topic, partition
        self.next_offset = OFFSET_BEGINNING if next_offset is None else next_offset
        self.partition_key = f"{topic}:{partition}"
        consumer.add(topic, partition, self.next_offset)
        self.idle = False
        self.committed = OFFSET_BEGINNING
        self._commit()  # a restarted process claims its resume position at once

    def next_batch(self) -> list[tuple[str, Chunk]]:
        messages = self.consumer.take(self.topic, self.partition)
        self.idle = not messages
        if not messages:
            return []
        self.next_offset = messages[-1].offset() + 1
        route = self.source.route
        if route is None:
            records = [(m.key(), m.value(), m.offset()) for m in messages]
            return [(self.partition_key, Chunk(self.topic, self.partition, records))]
        groups: dict[str, list] = {}
        for m in messages:
            key = m.key()
            groups.setdefault(route(key), []).append((key, m.value(), m.offset()))
        return [(key, Chunk(self.topic, self.partition, records)) for key, records in groups.items()]

    def next_awake(self) -> datetime | None:
        # Polled again at once while records come; an idle partition rests a moment.
        return datetime.now(timezone.utc) + IDLE_WAIT if self.idle else None

    def snapshot(self) -> int:
        self._commit()
        return self.next_offset

    def _commit(self) -> None:
        if self.next_offset >= 0 and self.next_offset != self.committed:  # not before the first record
            self.consumer.commit(self.topic, self.partition, self.next_offset)
            self.committed = self.next_offset

    def close(self) -> None:
        self.source.release(self.consumer, self.topic, self.partition)


class ChunkSource(FixedPartitionedSource[tuple[str, Chunk], int]):
    """Every partition of `topics`, from the start or from the snapshot's offsets, as keyed `Chunk`s."""

    def __init__(self, kafka: KafkaSettings, topics: Iterable[str], batch_size: int, group: str,
                 route: RouteKey = None, gather_ms: int | None = None) -> None:
        self.kafka, self.topics, self.batch_size, self.route = kafka, list(topics), batch_size, route
        self.group, self.gather_ms = group, gather_ms
        # Bytewax builds and polls a worker's partitions on that worker's thread: one consumer each.
        self.consumers: dict[int, _WorkerConsumer] = {}

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
        worker = threading.get_ident()
        if worker not in self.consumers:
            self.consumers[worker] = _WorkerConsumer(self.kafka, self.group, self.batch_size, self.gather_ms)
        return _PartitionReader(self, self.consumers[worker], topic, int(index), resume_state)

    def release(self, consumer: _WorkerConsumer, topic: str, partition: int) -> None:
        if consumer.remove(topic, partition):
            self.consumers = {worker: c for worker, c in self.consumers.items() if c is not consumer}


class _SharedProducer:
    """One idempotent acks=all producer per process and broker, shared by the sink partitions that
    the process's workers own: one client lets librdkafka gather every partition's records into the
    same requests (a request costs the broker far more than a record)."""

    _instances: dict[str, _SharedProducer] = {}
    _lock = threading.Lock()

    def __init__(self, kafka: KafkaSettings) -> None:
        self.failures: list[str] = []
        # Only failed deliveries call back: a success costs no Python call.
        self.producer = make_producer(kafka, **{"queue.buffering.max.messages": 1_000_000, "linger.ms": LINGER_MS,
                                                "delivery.report.only.error": True,
                                                "on_delivery": self._delivered})

    @classmethod
    def of(cls, kafka: KafkaSettings) -> _SharedProducer:
        with cls._lock:
            if kafka.bootstrap_servers not in cls._instances:
                cls._instances[kafka.bootstrap_servers] = cls(kafka)
            return cls._instances[kafka.bootstrap_servers]

    def _delivered(self, error, message) -> None:
        if error is not None:
            self.failures.append(f"{message.topic()}: {error}")

    def produce(self, records: list[Record]) -> None:
        produce = self.producer.produce
        for topic, key, value in records:
            try:
                produce(topic, value, key)
            except BufferError:  # the local queue is full: let deliveries drain it, then retry
                self.producer.flush()
                produce(topic, value, key)
        self.producer.poll(0)
        self.raise_failures()

    def flush(self) -> None:
        if self.producer.flush(60) != 0:
            raise KafkaError("records still unacknowledged after 60 s")
        self.raise_failures()

    def raise_failures(self) -> None:
        if self.failures:
            raise KafkaError(f"records not acknowledged: {self.failures[:3]}")


class _ProducerPart(StatefulSinkPartition[list[Record], None]):
    def __init__(self, producer: _SharedProducer) -> None:
        self.producer = producer

    def write_batch(self, batches: list[list[Record]]) -> None:
        for records in batches:
            self.producer.produce(records)

    def snapshot(self) -> None:
        # Everything written in the epoch is acknowledged before Bytewax records the epoch as done,
        # so a restart never resumes past a record Kafka does not hold; in between, the worker goes
        # on while the producer sends.
        self.producer.flush()

    def close(self) -> None:
        self.producer.flush()


class RecordSink(FixedPartitionedSink[list[Record], None]):
    """Writes keyed lists of `Record`s. A key's lists always go to the same part, so its records keep
    their order; the parts spread the writing over a cluster's processes."""

    def __init__(self, kafka: KafkaSettings, parts: int = 4) -> None:
        self.kafka, self.parts = kafka, parts

    def list_parts(self) -> list[str]:
        return [f"producer-{index}" for index in range(self.parts)]

    def build_part(self, step_id: str, for_part: str, resume_state: None) -> _ProducerPart:
        return _ProducerPart(_SharedProducer.of(self.kafka))
