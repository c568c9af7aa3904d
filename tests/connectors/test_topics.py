import pytest

from connectors.kafka.errors import EventSchemaError
from connectors.kafka.topics import ACCOUNT_COMMANDS, TOPICS, check_event


def test_registry_has_every_spec_topic():
    assert {
        "account.commands", "orders.accepted", "matcher.events", "ledger.events", "candles",
        "analytics.alerts", "analytics.risk", "analytics.signals", "marketdata.external",
    } <= set(TOPICS)


def test_stateful_inputs_are_keyed_by_their_owner():
    assert TOPICS["account.commands"].key == "account"
    assert TOPICS["orders.accepted"].key == "symbol"
    assert TOPICS["matcher.events"].key == "symbol"


def test_check_event_accepts_a_registered_type_at_its_version():
    check_event(ACCOUNT_COMMANDS, {"type": "deposit", "v": 1})


@pytest.mark.parametrize(
    "event",
    [{"type": "trade", "v": 1}, {"type": "deposit", "v": 2}, {"v": 1}, {"type": "deposit"}],
)
def test_check_event_rejects_unknown_type_or_version(event):
    with pytest.raises(EventSchemaError):
        check_event(ACCOUNT_COMMANDS, event)
