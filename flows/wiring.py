"""What every flow does at its edges: read registry topics, decode core messages, write results.

Records carry arrays of events (`connectors.kafka.serde`). A record that does not decode, or holds
an event that does not, is not applied in part and not dropped: it goes whole to the `deadletter`
topic with the source position and the reason (STYLE rule 5), and the flow goes on.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import bytewax.operators as op
import orjson
from bytewax.dataflow import Dataflow, Stream

from connectors.kafka.errors import EventSchemaError
from connectors.kafka.serde import MAX_EVENTS_PER_RECORD, decode_events, encode_events, encode_key
from connectors.kafka.topics import DEAD_LETTERS, Topic, check_event
from connectors.settings import FlowSettings, KafkaSettings
from flows.kafka_io import Chunk, ChunkSource, Record, RecordSink, RouteKey, positions_group
from matcher.messages import from_dict, to_dict

DECODE_ERRORS = (orjson.JSONDecodeError, EventSchemaError, ValueError, TypeError, KeyError, AttributeError)


def read_topics(flow: Dataflow, kafka: KafkaSettings, flows: FlowSettings, topics: Iterable[Topic],
                route: RouteKey = None, gather_ms: int | None = None) -> Stream[tuple[str, Chunk]]:
    """The topics' records as `Chunk`s keyed by partition, or by `route(record key)` if given;
    `gather_ms` lets the broker gather records that long into larger batches."""
    source = ChunkSource(kafka, [kafka.topic(topic.name) for topic in topics], flows.batch_size,
                         positions_group(kafka, flow.flow_id), route, gather_ms)
    return op.input("read", flow, source)


def decode_chunk(chunk: Chunk, kafka: KafkaSettings, topic: Topic,
                 parse: Callable[[dict], Any] = from_dict) -> tuple[list[Any], list[Record]]:
    """`parse` of each event of `chunk`, checked against `topic`'s registry entry, in log order; and
    the dead letters of the records that failed."""
    parsed, letters = [], []
    for key, value, offset in chunk.records:
        try:
            messages = []
            for event in decode_events(value):
                check_event(topic, event)
                messages.append(parse(event))
        except DECODE_ERRORS as exc:
            letters.append(dead_letter(kafka, chunk, key, value, offset, f"{type(exc).__name__}: {exc}"))
            continue
        parsed.extend(messages)
    return parsed, letters


def dead_letter(kafka: KafkaSettings, chunk: Chunk, key: bytes | None, value: bytes | None, offset: int,
                reason: str) -> Record:
    letter = {
        "type": "dead_letter", "v": 1, "source_topic": chunk.topic, "partition": chunk.partition,
        "offset": offset, "reason": reason,
        "key": None if key is None else key.decode(errors="replace"),
        "value": None if value is None else value.decode(errors="replace"),
    }
    return Record(kafka.topic(DEAD_LETTERS.name), encode_key(chunk.topic), encode_events([letter]))


def record(topic_name: str, key: str, core_message: Any) -> Record:
    """One core message (command, report, event tuple) as a record of its own, for the topic named
    `topic_name`: how commands enter `account.commands`."""
    return Record(topic_name, encode_key(key), encode_events([to_dict(core_message)]))


class Output:
    """The core messages one batch of a flow's input caused, gathered per topic and key, in order,
    and written as one record per topic and key (or a few, for very large batches)."""

    def __init__(self) -> None:
        self.events: dict[tuple[str, str], list[dict]] = {}

    def add(self, topic_name: str, key: str, core_message: Any, **extra: Any) -> None:
        """Add a message; `extra` fields travel beside its own (the ledger's forward sequence)."""
        event = to_dict(core_message)
        if extra:
            event.update(extra)
        events = self.events.get((topic_name, key))
        if events is None:
            self.events[(topic_name, key)] = [event]
        else:
            events.append(event)

    def records(self) -> list[Record]:
        return [Record(topic, encode_key(key), encode_events(events[start:start + MAX_EVENTS_PER_RECORD]))
                for (topic, key), events in self.events.items()
                for start in range(0, len(events), MAX_EVENTS_PER_RECORD)]


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
