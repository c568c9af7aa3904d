"""The topic registry: every topic's name, key, partition count and the events it carries.

Every other part names topics through `TOPICS` (never a string literal) so that a topic is created,
keyed and validated one way everywhere. Events are JSON objects with `type` and `v` (schema version),
carried in records as arrays (`connectors.kafka.serde`); a consumer that sees a `v` it does not know
must stop rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from connectors.kafka.errors import EventSchemaError


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    key: str  # what the message key is: "account" or "symbol"
    partitions: int
    events: Mapping[str, int]  # event type -> current schema version
    description: str


def _topic(name: str, key: str, partitions: int, events: tuple[str, ...], description: str) -> Topic:
    return Topic(name, key, partitions, {event: 1 for event in events}, description)


ACCOUNT_COMMANDS = _topic(
    "account.commands", "account", 4,
    ("place", "cancel", "amend", "deposit", "withdraw", "report"),
    "The ledger's single input: user commands and the matcher's execution reports.",
)
ORDERS_ACCEPTED = _topic(
    "orders.accepted", "symbol", 4,
    ("place", "cancel", "amend", "advance_time"),
    "The matcher's single input: orders whose funds are held, cancels and amends from the ledger.",
)
MATCHER_EVENTS = _topic(
    "matcher.events", "symbol", 4,
    ("accepted", "rested", "rejected", "trade", "cancelled", "expired", "amended", "triggered", "book_delta"),
    "Market events with a per-symbol sequence number.",
)
LEDGER_EVENTS = _topic(
    "ledger.events", "account", 4,
    ("journal", "ledger_rejected"),
    "Double-entry journal entries (deposits, withdrawals, holds, releases, settlements, fees) and rejections.",
)
CANDLES = _topic("candles", "symbol", 4, ("candle",), "OHLCV per interval, updates and corrections.")
ANALYTICS_ALERTS = _topic("analytics.alerts", "symbol", 2, ("anomaly",), "Anomalies.")
ANALYTICS_RISK = _topic("analytics.risk", "account", 2, ("risk_score",), "Per-account risk scores.")
ANALYTICS_SIGNALS = _topic(
    "analytics.signals", "symbol", 2, ("prediction", "sentiment"), "Predictions and sentiment."
)
MARKETDATA_EXTERNAL = _topic(
    "marketdata.external", "symbol", 2, ("trade", "ticker", "candle", "pool_price"),
    "Trades, tickers, candles and pool prices from outside venues.",
)
DEAD_LETTERS = _topic(
    "deadletter", "source", 1, ("dead_letter",),
    "Messages a flow could not parse, with the source topic and the reason.",
)

TOPICS: Mapping[str, Topic] = {
    topic.name: topic
    for topic in (
        ACCOUNT_COMMANDS, ORDERS_ACCEPTED, MATCHER_EVENTS, LEDGER_EVENTS, CANDLES,
        ANALYTICS_ALERTS, ANALYTICS_RISK, ANALYTICS_SIGNALS, MARKETDATA_EXTERNAL, DEAD_LETTERS,
    )
}


def check_event(topic: Topic, event: Mapping[str, Any]) -> None:
    """Raise `EventSchemaError` unless `event` is a type this topic carries, at a known version."""
    event_type = event.get("type")
    if event_type not in topic.events:
        raise EventSchemaError(f"{topic.name} does not carry events of type {event_type!r}")
    if event.get("v") != topic.events[event_type]:
        raise EventSchemaError(
            f"{topic.name} {event_type} is at v{topic.events[event_type]}, got v{event.get('v')!r}"
        )
