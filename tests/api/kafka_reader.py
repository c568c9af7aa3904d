"""Read back what the API wrote to `account.commands` (the real topic), from a marked position."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, TopicPartition

from connectors.kafka.serde import decode_events
from connectors.kafka.topics import ACCOUNT_COMMANDS
from connectors.settings import KafkaSettings


class CommandLog:
    def __init__(self, kafka: KafkaSettings) -> None:
        self.topic = kafka.topic(ACCOUNT_COMMANDS.name)
        self.consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"api-{uuid.uuid4()}",
                                  "enable.auto.commit": False})
        partitions = self.consumer.list_topics(self.topic, timeout=10).topics[self.topic].partitions
        self.marks = {p: self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1]
                      for p in partitions}

    def read(self, account: str) -> list[tuple[bytes, dict]]:
        """Every command keyed by `account` written since this log was opened."""
        found = []
        for partition, start in self.marks.items():
            end = self.consumer.get_watermark_offsets(TopicPartition(self.topic, partition), timeout=10)[1]
            if end <= start:
                continue
            self.consumer.assign([TopicPartition(self.topic, partition, start)])
            seen = 0
            while seen < end - start:
                for msg in self.consumer.consume(end - start - seen, 5):
                    seen += 1
                    if msg.key() == account.encode():
                        found.extend((msg.key(), event) for event in decode_events(msg.value()))
        return found

    def close(self) -> None:
        self.consumer.close()
