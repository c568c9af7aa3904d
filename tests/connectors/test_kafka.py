"""A real round trip through the broker the stack runs."""

import uuid

from confluent_kafka import TopicPartition

from connectors.kafka.client import make_consumer, make_producer
from connectors.kafka.serde import decode_event, encode_event, encode_key
from connectors.kafka.topics import ACCOUNT_COMMANDS


def test_produce_with_acks_all_and_consume_the_same_bytes(stack):
    producer = make_producer(stack.kafka)
    event = {"type": "deposit", "v": 1, "command_id": str(uuid.uuid4()), "amount": 9 * 10**18}
    payload, key = encode_event(event), encode_key(f"acct-{uuid.uuid4()}")
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
    assert decode_event(received.value()) == event


def test_producer_is_idempotent_with_acks_all(stack):
    from connectors.kafka.client import producer_config

    config = producer_config(stack.kafka)
    assert config["acks"] == "all" and config["enable.idempotence"] is True
