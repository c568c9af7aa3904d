"""Producers, consumers and topic creation with the settings every part of FastTrading shares.

Producers are idempotent with `acks=all`, so a retried send never writes an event twice and nothing
acknowledged is lost (SPEC §6). Consumers start from the earliest offset and commit only what they
have processed.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from connectors.kafka.errors import KafkaError
from connectors.kafka.topics import TOPICS, Topic
from connectors.settings import KafkaSettings

PRODUCER_CONFIG = {
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 2,
    "compression.type": "lz4",
    # Java clients' partitioner, so a key lands on the same partition whoever produces it.
    "partitioner": "murmur2_random",
}
CONSUMER_CONFIG = {
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "isolation.level": "read_committed",
}


def producer_config(settings: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    return {"bootstrap.servers": settings.bootstrap_servers, **PRODUCER_CONFIG, **overrides}


def consumer_config(settings: KafkaSettings, group_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.bootstrap_servers,
        "group.id": group_id,
        **CONSUMER_CONFIG,
        **overrides,
    }


def make_producer(settings: KafkaSettings, **overrides: Any) -> Producer:
    producer = Producer(producer_config(settings, **overrides))
    # Fetch the cluster's metadata now: without it a new producer's first records wait about half a
    # second for their topics' leaders. Best effort; a producer made while the broker is away still works.
    try:
        producer.list_topics(timeout=5)
    except KafkaException:
        pass
    return producer


def make_consumer(settings: KafkaSettings, group_id: str, **overrides: Any) -> Consumer:
    return Consumer(consumer_config(settings, group_id, **overrides))


def make_admin(settings: KafkaSettings, **overrides: Any) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.bootstrap_servers, **overrides})


def broker_cluster_id(settings: KafkaSettings, timeout_s: float = 2.0) -> str:
    """The cluster id of a broker that answers metadata, or `KafkaError` if none does in time."""
    try:
        # A probe expects "no broker" as an answer; librdkafka's connection-refused logs are noise here.
        metadata = make_admin(settings, log_level=0).list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaError(f"no Kafka broker answers at {settings.bootstrap_servers}: {exc}") from None
    return metadata.cluster_id


def ensure_topics(settings: KafkaSettings, topics: Iterable[Topic] = TOPICS.values(),
                  config: dict[str, str] | None = None) -> list[str]:
    """Create the registry's topics that do not exist yet (with topic `config` if given); returns the
    names it created."""
    admin = make_admin(settings)
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [
        NewTopic(settings.topic(topic.name), num_partitions=settings.partitions.get(topic.name, topic.partitions),
                 replication_factor=1, config=config or {})
        for topic in topics
        if settings.topic(topic.name) not in existing
    ]
    if not missing:
        return []
    created = []
    for name, future in admin.create_topics(missing, operation_timeout=30).items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":  # a concurrent `up` made it first
                raise KafkaError(f"cannot create topic {name}: {exc}") from None
    _wait_for_leaders(settings, created)
    return created


def delete_topics(settings: KafkaSettings, topics: Iterable[Topic] = TOPICS.values()) -> None:
    """Delete the registry's topics under `settings`' prefix (a sandbox's or a benchmark's), and wait
    until the broker has. The unprefixed topics are the platform's own: never deleted here."""
    if not settings.topic_prefix:
        raise KafkaError("refusing to delete the platform's own (unprefixed) topics")
    # Deletion is asynchronous: hold the admin client until it is done, or the deletion dies with it.
    admin = make_admin(settings)
    for name, future in admin.delete_topics([settings.topic(topic.name) for topic in topics],
                                            operation_timeout=30).items():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].name() != "UNKNOWN_TOPIC_OR_PART":  # never created, or already gone
                raise KafkaError(f"cannot delete topic {name}: {exc}") from None


def _wait_for_leaders(settings: KafkaSettings, names: list[str], timeout_s: float = 30.0) -> None:
    """Creation returns before every partition's leader serves it; a produce or an offset query then
    fails with NOT_LEADER, so wait until each new partition answers an offset query."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": "fasttrading-topic-check"})
    deadline = time.monotonic() + timeout_s
    try:
        pending = [(name, None) for name in names]
        while pending:
            waiting = []
            for name, partitions in pending:
                if partitions is None:
                    metadata = consumer.list_topics(name, timeout=10).topics.get(name)
                    partitions = list(metadata.partitions) if metadata and not metadata.error else []
                    if not partitions:
                        waiting.append((name, None))
                        continue
                not_ready = []
                for index in partitions:
                    try:
                        consumer.get_watermark_offsets(TopicPartition(name, index), timeout=5)
                    except KafkaException:
                        not_ready.append(index)
                if not_ready:
                    waiting.append((name, not_ready))
            pending = waiting
            if pending and time.monotonic() > deadline:
                raise KafkaError(f"new topics not served after {timeout_s:.0f}s: {[n for n, _ in pending]}")
            if pending:
                time.sleep(0.1)
    finally:
        consumer.close()
