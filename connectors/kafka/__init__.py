"""Kafka: the topic registry, producer/consumer construction and JSON event serde."""
