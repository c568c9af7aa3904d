"""A real round trip through the broker the stack runs."""

import time
import uuid

import pytest
from confluent_kafka import TopicPartition

from connectors.kafka.client import delete_topics, ensure_topics, make_admin, make_consumer, make_producer
from connectors.kafka.errors import KafkaError
from connectors.kafka.serde import decode_events, encode_events, encode_key
from connectors.kafka.topics import ACCOUNT_COMMANDS, TOPICS


def test_produce_with_acks_all_and_consume_the_same_bytes(stack):
    producer = make_producer(stack.kafka)
    event = {"type": "deposit", "v": 1, "command_id": str(uuid.uuid4()), "amount": 9 * 10**18}
    payload, key = encode_events([event]), encode_key(f"acct-{uuid.uuid4()}")
    delivered = []
    producer.produce(ACCOUNT_COMMANDS.name, payload, key, on_delivery=lambda err, msg: delivered.append((err, msg)))
    assert producer.flush(30) == 0
    [(error, message)] = delivered
    assert error is None

    consumer = make_consumer(stack.kafka, group_id=f"test-{uuid.uuid4()}")
    consumer.assign([TopicPartition(ACCOUNT_COMMANDS.name, message.partition(), message.offset())])
    try:
        received = consumer.poll(30)
    finally:
        consumer.close()
    assert received is not None and received.error() is None
    assert (received.key(), received.value()) == (key, payload)
    assert decode_events(received.value()) == [event]


def test_producer_is_idempotent_with_acks_all(stack):
    from connectors.kafka.client import producer_config

    config = producer_config(stack.kafka)
    assert config["acks"] == "all" and config["enable.idempotence"] is True


def test_a_prefix_s_topics_are_created_and_deleted_but_never_the_platform_s(stack):
    sandbox = stack.kafka.model_copy(update={"topic_prefix": f"tdel{uuid.uuid4().hex[:8]}."})
    created = ensure_topics(sandbox)
    assert sorted(created) == sorted(sandbox.topic(name) for name in TOPICS)
    delete_topics(sandbox)
    delete_topics(sandbox)  # deleting what is gone is fine
    admin, deadline = make_admin(stack.kafka), time.monotonic() + 30
    while any(name.startswith(sandbox.topic_prefix) for name in admin.list_topics(timeout=10).topics):
        assert time.monotonic() < deadline, "the deleted topics are still listed"
        time.sleep(0.2)  # the broker's metadata follows the controller's a moment later
    assert ACCOUNT_COMMANDS.name in admin.list_topics(timeout=10).topics
    with pytest.raises(KafkaError, match="refusing"):
        delete_topics(stack.kafka)
