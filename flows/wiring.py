"""What every flow does at its edges: read registry topics, decode core messages, write results.

Undecodable messages are not dropped: they go to the `deadletter` topic with the source position
and the reason (STYLE rule 5), and the flow goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import bytewax.operators as op
import orjson
from bytewax.connectors.kafka import KafkaSink, KafkaSinkMessage, KafkaSource, KafkaSourceMessage
from bytewax.dataflow import Dataflow, Stream

from connectors.kafka.client import PRODUCER_CONFIG
from connectors.kafka.errors import EventSchemaError
from connectors.kafka.topics import DEAD_LETTERS, Topic, check_event
from connectors.settings import FlowSettings, KafkaSettings
from matcher.messages import from_dict, to_dict


@dataclass(frozen=True)
class Decoded:
    oks: Stream[Any]  # core messages (commands, reports, event tuples)
    errs: Stream[KafkaSinkMessage]  # dead letters, ready to write


def read_topics(
    flow: Dataflow, kafka: KafkaSettings, flows: FlowSettings, topics: Iterable[Topic], *, tail: bool = True
) -> Stream[KafkaSourceMessage]:
    names = [kafka.topic(topic.name) for topic in topics]
    source = KafkaSource([kafka.bootstrap_servers], names, tail=tail, batch_size=flows.batch_size)
    return op.input("read", flow, source)


def decode(messages: Stream[KafkaSourceMessage], kafka: KafkaSettings, topics: Iterable[Topic]) -> Decoded:
    """Each JSON value checked against its topic's registry entry and parsed; what fails becomes a
    dead letter."""
    by_name = {kafka.topic(topic.name): topic for topic in topics}
    results = op.map("decode", messages, lambda msg: decode_one(msg, kafka, by_name[msg.topic]))
    split = op.branch("decoded_ok", results, lambda result: not isinstance(result, KafkaSinkMessage))
    return Decoded(split.trues, split.falses)


def decode_one(
    msg: KafkaSourceMessage, kafka: KafkaSettings, topic: Topic, parse: Callable[[dict], Any] = from_dict
) -> Any:
    """`parse` of one JSON value that `topic` carries, or its dead letter. Stateful steps call this
    themselves, on the raw messages of their batch, which spares the dataflow an operator per message."""
    try:
        data = orjson.loads(msg.value)
        check_event(topic, data)
        return parse(data)
    except (orjson.JSONDecodeError, EventSchemaError, ValueError, TypeError, KeyError, AttributeError) as exc:
        return dead_letter(msg, kafka, f"{type(exc).__name__}: {exc}")


def dead_letter(msg: KafkaSourceMessage, kafka: KafkaSettings, reason: str) -> KafkaSinkMessage:
    letter = {
        "type": "dead_letter", "v": 1, "source_topic": msg.topic, "partition": msg.partition,
        "offset": msg.offset, "reason": reason,
        "key": None if msg.key is None else msg.key.decode(errors="replace"),
        "value": None if msg.value is None else msg.value.decode(errors="replace"),
    }
    return KafkaSinkMessage(msg.topic.encode() if msg.topic else None, orjson.dumps(letter),
                            topic=kafka.topic(DEAD_LETTERS.name))


def message(kafka: KafkaSettings, topic: Topic, key: str, core_message: Any, **extra: Any) -> KafkaSinkMessage:
    """A core message (command, report, event tuple) as a Kafka record on a registry topic;
    `extra` fields travel beside the message's own (the ledger's forward sequence)."""
    value = to_dict(core_message)
    value.update(extra)
    return KafkaSinkMessage(key.encode(), orjson.dumps(value), topic=kafka.topic(topic.name))


def write(step_id: str, records: Stream[KafkaSinkMessage], kafka: KafkaSettings) -> None:
    """Write records to the topics they name, idempotently with acks=all."""
    config = {key: str(value).lower() if isinstance(value, bool) else str(value)
              for key, value in PRODUCER_CONFIG.items()}
    op.output(step_id, records, KafkaSink([kafka.bootstrap_servers], None, add_config=config))


def check_snapshot(flow: str, resume: Any, version: int) -> None:
    """Refuse recovery state written by another version of a flow's logic, saying how to recover."""
    if not isinstance(resume, dict) or resume.get("v") != version:
        raise RuntimeError(
            f"the {flow} flow's recovery state is not v{version}: remove its recovery directory "
            f"(<state dir>/recovery/{flow}) and restart; it rebuilds its state from its input topic"
        )
