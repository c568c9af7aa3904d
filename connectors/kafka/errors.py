"""Kafka failures: an unreachable broker, a refused write, an event that breaks its topic's schema."""

from connectors.errors import ConnectorError


class KafkaError(ConnectorError):
    """The broker refused or could not be reached."""


class EventSchemaError(KafkaError):
    """An event does not carry a `type` and `v` that its topic's registry entry accepts."""
