"""What every flow does at its edges: read registry topics, decode core messages, write results.

Undecodable messages are not dropped: they go to the `deadletter` topic with the source position
and the reason (STYLE rule 5), and the flow goes on.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import bytewax.operators as op
import orjson
from bytewax.dataflow import Dataflow, Stream

from connectors.kafka.errors import EventSchemaError
from connectors.kafka.topics import DEAD_LETTERS, Topic, check_event
from connectors.settings import FlowSettings, KafkaSettings
from flows.kafka_io import Chunk, ChunkSource, Record, RecordSink, RouteKey
from matcher.messages import from_dict, to_dict

DECODE_ERRORS = (orjson.JSONDecodeError, EventSchemaError, ValueError, TypeError, KeyError, AttributeError)


def read_topics(flow: Dataflow, kafka: KafkaSettings, flows: FlowSettings, topics: Iterable[Topic],
                route: RouteKey = None, gather_ms: int | None = None) -> Stream[tuple[str, Chunk]]:
    """The topics' records as `Chunk`s keyed by partition, or by `route(record key)` if given;
    `gather_ms` lets the broker gather records that long into larger batches."""
    source = ChunkSource(kafka, [kafka.topic(topic.name) for topic in topics], flows.batch_size, route, gather_ms)
    return op.input("read", flow, source)


def decode_chunk(chunk: Chunk, kafka: KafkaSettings, topic: Topic,
                 parse: Callable[[dict], Any] = from_dict) -> tuple[list[Any], list[Record]]:
    """`parse` of each JSON value of `chunk`, checked against `topic`'s registry entry, in log order;
    and the dead letters of the values that failed."""
    parsed, letters = [], []
    for key, value, offset in chunk.records:
        try:
            data = orjson.loads(value)
            check_event(topic, data)
            parsed.append(parse(data))
        except DECODE_ERRORS as exc:
            letters.append(dead_letter(kafka, chunk, key, value, offset, f"{type(exc).__name__}: {exc}"))
    return parsed, letters


def dead_letter(kafka: KafkaSettings, chunk: Chunk, key: bytes | None, value: bytes | None, offset: int,
                reason: str) -> Record:
    letter = {
        "type": "dead_letter", "v": 1, "source_topic": chunk.topic, "partition": chunk.partition,
        "offset": offset, "reason": reason,
        "key": None if key is None else key.decode(errors="replace"),
        "value": None if value is None else value.decode(errors="replace"),
    }
    return Record(kafka.topic(DEAD_LETTERS.name), chunk.topic.encode(), orjson.dumps(letter))


def record(topic_name: str, key: str, core_message: Any, **extra: Any) -> Record:
    """A core message (command, report, event tuple) as a record for the topic named `topic_name`;
    `extra` fields travel beside the message's own (the ledger's forward sequence)."""
    value = to_dict(core_message)
    if extra:
        value.update(extra)
    return Record(topic_name, key.encode(), orjson.dumps(value))


def write(step_id: str, batches: Stream[tuple[str, list[Record]]], kafka: KafkaSettings) -> None:
    """Write each keyed list of records to the topics they name, idempotently with acks=all."""
    op.output(step_id, batches, RecordSink(kafka))


def check_snapshot(flow: str, resume: Any, version: int) -> None:
    """Refuse recovery state written by another version of a flow's logic, saying how to recover."""
    if not isinstance(resume, dict) or resume.get("v") != version:
        raise RuntimeError(
            f"the {flow} flow's recovery state is not v{version}: remove its recovery directory "
            f"(<state dir>/recovery/{flow}) and restart; it rebuilds its state from its input topic"
        )
