"""The flows' edges without a broker: how records carry events, and how bad records are set aside."""

import pytest

from connectors.kafka.errors import EventSchemaError
from connectors.kafka.serde import MAX_EVENTS_PER_RECORD, decode_events, encode_events
from connectors.kafka.topics import ACCOUNT_COMMANDS
from connectors.settings import KafkaSettings
from flows import wiring
from flows.kafka_io import Chunk
from matcher.commands import Deposit
from matcher.messages import to_dict


def _deposit(n: int, account: str = "alice") -> Deposit:
    return Deposit(cmd_id=f"{account}-{n}", ts_ns=n, account=account, asset="USDT", amount=n + 1)


def test_output_writes_one_record_per_topic_and_key_in_order_and_splits_large_ones():
    output = wiring.Output()
    for n in range(MAX_EVENTS_PER_RECORD + 2):
        output.add("t.ledger.events", "alice", _deposit(n))
        if n < 2:
            output.add("t.ledger.events", "bob", _deposit(n, "bob"))
            output.add("t.orders.accepted", "BTC-USDT", _deposit(n, "carol"), lseq=n + 1)
    records = output.records()
    assert [(r.topic, r.key, len(decode_events(r.value))) for r in records] == [
        ("t.ledger.events", b"alice", MAX_EVENTS_PER_RECORD), ("t.ledger.events", b"alice", 2),
        ("t.ledger.events", b"bob", 2), ("t.orders.accepted", b"BTC-USDT", 2)]
    alice = [event for r in records if r.key == b"alice" for event in decode_events(r.value)]
    assert [event["cmd_id"] for event in alice] == [f"alice-{n}" for n in range(MAX_EVENTS_PER_RECORD + 2)]
    assert [event["lseq"] for r in records[3:] for event in decode_events(r.value)] == [1, 2]


@pytest.mark.parametrize("payload", [b"{}", b"[]", b"[1]", b'[{"type": "deposit"}, "x"]', b'"x"'])
def test_a_record_must_be_a_non_empty_array_of_objects(payload):
    with pytest.raises(EventSchemaError):
        decode_events(payload)


def test_a_record_with_one_bad_event_is_a_dead_letter_and_none_of_it_applies():
    kafka = KafkaSettings(topic_prefix="t.")
    good, also_good = to_dict(_deposit(1)), to_dict(_deposit(2))
    chunk = Chunk("t.account.commands", 0, [
        (b"alice", encode_events([good]), 7),
        (b"alice", encode_events([also_good, {"type": "deposit", "v": 99}]), 8),
        (b"alice", encode_events([also_good]), 9),
    ])
    parsed, letters = wiring.decode_chunk(chunk, kafka, ACCOUNT_COMMANDS)
    assert parsed == [_deposit(1), _deposit(2)]
    [letter] = [event for record in letters for event in decode_events(record.value)]
    assert (letter["offset"], letter["reason"].split(":")[0]) == (8, "EventSchemaError")
