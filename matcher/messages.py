"""Plain-data form of every message of the core, for Kafka: `to_dict` / `from_dict`, `encode` / `decode`.

One pair of functions for the whole family: commands (`place`, `cancel`, `amend`, `deposit`,
`withdraw`, `advance_time`), execution reports (`report`), matcher events (`accepted`, `rested`,
`rejected`, `trade`, `cancelled`, `expired`, `amended`, `triggered`, `book_delta`) and ledger events
(`journal`, `ledger_rejected`). Each dict has a `type` and a schema version `v`, then the message's
fields by name; values are ints, strs, bools and None only, so JSON round-trips them exactly.
`encode` is canonical (fixed field order, no whitespace), so equal messages give equal bytes.

>>> from matcher.commands import CancelOrder
>>> d = to_dict(CancelOrder(cmd_id="c9", ts_ns=5, account="alice", symbol="BTC-USDT", order_id="o1"))
>>> d["type"], d["v"], from_dict(d) == from_dict(to_dict(from_dict(d)))
('cancel', 1, True)
>>> decode(encode(("book_delta", "BTC-USDT", 3, 5, "buy", 100, 0)))
('book_delta', 'BTC-USDT', 3, 5, 'buy', 100, 0)
"""

from __future__ import annotations

import dataclasses
import json
import operator

from matcher.commands import COMMAND_TYPES
from matcher.events import FIELDS as MATCHER_FIELDS
from matcher.reports import ExecutionReport

VERSION = 1

LEDGER_FIELDS: dict[str, tuple[str, ...]] = {
    # one journal entry: `amount` of `asset` moves from (from_account, from_bucket) to (to_account,
    # to_bucket); `account` is the user account (partition) that wrote it, `reason` one of deposit,
    # withdraw, hold, release, settle, fee; `entry_id` is derived from the command or report id
    "journal": ("type", "account", "entry_id", "ts_ns", "reason", "order_id", "asset", "amount",
                "from_account", "from_bucket", "to_account", "to_bucket"),
    "ledger_rejected": ("type", "account", "cmd_id", "ts_ns", "cmd_type", "order_id", "reason"),
}
TUPLE_FIELDS = {**MATCHER_FIELDS, **LEDGER_FIELDS}
CLASSES = {cls.type: cls for cls in (*COMMAND_TYPES, ExecutionReport)}
_CLASS_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in CLASSES.items()}
# Prepared once, so a message converts in a few C calls: these run for every record of every flow.
_TUPLE_VALUES = {kind: operator.itemgetter(*fields) for kind, fields in TUPLE_FIELDS.items()}
_CLASS_VALUES = {name: operator.attrgetter(*fields) for name, fields in _CLASS_FIELDS.items()}


def to_dict(message) -> dict:
    """The JSON-ready dict of a command, report or event tuple."""
    if type(message) is tuple:
        fields = TUPLE_FIELDS[message[0]]
        if len(fields) != len(message):
            raise ValueError(f"{message[0]} event has {len(message)} fields, schema has {len(fields)}")
        out = dict(zip(fields, message))
    else:
        out = dict(zip(_CLASS_FIELDS[message.type], _CLASS_VALUES[message.type](message)))
        out["type"] = message.type
    out["v"] = VERSION
    return out


def from_dict(data: dict):
    """Inverse of `to_dict`; refuses unknown types and versions (ValueError)."""
    kind, version = data.get("type"), data.get("v")
    if version != VERSION:
        raise ValueError(f"unsupported version {version!r} of {kind!r}")
    values = _TUPLE_VALUES.get(kind)
    if values is not None:
        return values(data)
    cls = CLASSES.get(kind)
    if cls is None:
        raise ValueError(f"unknown message type {kind!r}")
    fields = dict(data)  # the class refuses a field it does not have (TypeError), and wants the required ones
    del fields["type"], fields["v"]
    return cls(**fields)


def encode(message) -> bytes:
    """Canonical JSON bytes of a message."""
    return json.dumps(to_dict(message), separators=(",", ":"), ensure_ascii=False).encode()


def decode(raw: bytes | str):
    return from_dict(json.loads(raw))
