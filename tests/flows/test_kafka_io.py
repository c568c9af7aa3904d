"""The flows' Kafka edges against the real broker: chunks keep log order and resume at the snapshot's
offset; the sink's lists arrive in order and are acknowledged once its snapshot returns."""

import os
import time
import uuid

import pytest
from confluent_kafka import TopicPartition

from connectors.kafka.client import delete_topics, ensure_topics, make_consumer, make_producer
from connectors.kafka.topics import ORDERS_ACCEPTED
from flows.kafka_io import ChunkSource, Record, RecordSink, positions_group
from flows.matching import symbol_of_key

SYMBOLS = ("AAA-Q", "BBB-Q", "CCC-Q")


@pytest.fixture
def kafka(stack):
    kafka = stack.kafka.model_copy(update={"topic_prefix": f"tio{uuid.uuid4().hex[:8]}.",
                                           "partitions": {ORDERS_ACCEPTED.name: 1}})
    ensure_topics(kafka, [ORDERS_ACCEPTED])
    yield kafka
    delete_topics(kafka, [ORDERS_ACCEPTED])


def _committed(kafka, group: str, topic: str) -> tuple[int, str]:
    """(offset, metadata) that `group` has committed for the topic's partition 0, once it arrives."""
    consumer = make_consumer(kafka, group)
    try:
        deadline = time.monotonic() + 10
        while True:  # the commit is asynchronous
            [committed] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
            if committed.offset >= 0 or time.monotonic() > deadline:
                return committed.offset, committed.metadata
            time.sleep(0.1)
    finally:
        consumer.close()


def _read_chunks(reader, count: int) -> list:
    chunks, deadline = [], time.monotonic() + 30
    while sum(len(chunk.records) for _, chunk in chunks) < count:
        assert time.monotonic() < deadline, "records did not arrive"
        chunks.extend(reader.next_batch())
    return chunks


def test_chunks_keep_log_order_group_by_key_and_resume_at_the_snapshot(kafka):
    topic = kafka.topic(ORDERS_ACCEPTED.name)
    producer = make_producer(kafka)
    for n in range(60):
        producer.produce(topic, f"v{n}".encode(), SYMBOLS[n % 3].encode(), partition=0)
    assert producer.flush(30) == 0

    group = positions_group(kafka, "matching")
    source = ChunkSource(kafka, [topic], batch_size=7, group=group, route=symbol_of_key)
    [part] = source.list_parts()
    reader = source.build_part("read", part, None)
    try:
        chunks = _read_chunks(reader, 40)
        snapshot = reader.snapshot()
        assert _committed(kafka, group, topic) == (snapshot, str(os.getpid()))  # published, with its reader
    finally:
        reader.close()
    assert all(len(chunk.records) <= 7 for _, chunk in chunks)
    assert all(symbol_of_key(key) == routed for routed, chunk in chunks for key, _, _ in chunk.records)
    offsets = [offset for _, chunk in chunks for _, _, offset in chunk.records]
    assert snapshot == max(offsets) + 1
    for symbol in SYMBOLS:  # each key's records in log order
        mine = [offset for routed, chunk in chunks if routed == symbol for _, _, offset in chunk.records]
        assert mine == sorted(mine)

    resumed = source.build_part("read", part, snapshot)  # as after a restart from that snapshot
    try:
        rest = _read_chunks(resumed, 60 - snapshot)
    finally:
        resumed.close()
    assert sorted(offset for _, chunk in rest for _, _, offset in chunk.records) == list(range(snapshot, 60))

    by_partition = ChunkSource(kafka, [topic], batch_size=25, group=f"{group}-other")  # the ledger's way: one key per partition
    reader = by_partition.build_part("read", part, None)
    try:
        chunks = _read_chunks(reader, 60)
    finally:
        reader.close()
    assert {routed for routed, _ in chunks} == {f"{topic}:0"}
    assert [value for _, chunk in chunks for _, value, _ in chunk.records] == [f"v{n}".encode() for n in range(60)]


def test_the_sink_writes_each_key_in_order_and_its_snapshot_waits_for_kafka(kafka):
    topic = kafka.topic(ORDERS_ACCEPTED.name)
    sink = RecordSink(kafka)
    parts = sink.list_parts()
    writers = {part: sink.build_part("write", part, None) for part in parts}
    for batch in range(5):
        for symbol in SYMBOLS:
            part = parts[sink.part_fn(symbol) % len(parts)]
            writers[part].write_batch([[Record(topic, symbol.encode(), f"{symbol}:{batch}:{i}".encode())
                                        for i in range(3)]])
    for writer in writers.values():
        writer.snapshot()  # returns only when Kafka holds everything written so far

    consumer = make_consumer(kafka, f"test-{uuid.uuid4()}")
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        assert high - low == 45  # all acknowledged by the time the snapshots returned
        consumer.assign([TopicPartition(topic, 0, low)])
        values = []
        while len(values) < 45:
            values.extend(msg.value().decode() for msg in consumer.consume(45, 5) if msg.error() is None)
    finally:
        consumer.close()
    for symbol in SYMBOLS:
        assert [v for v in values if v.startswith(symbol)] == [f"{symbol}:{b}:{i}" for b in range(5) for i in range(3)]
