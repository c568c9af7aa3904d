"""Bytewax dataflows wiring the exchange core to Kafka (SPEC §3).

- `flows.ledger`: `account.commands` (key account) -> `orders.accepted`, `ledger.events`
- `flows.matching`: `orders.accepted` (key symbol) -> `matcher.events`, execution reports into `account.commands`
- `flows.projections`: `matcher.events` + `ledger.events` -> PostgreSQL and Redis

Each stateful step reads exactly one ordered topic, so a replay after a crash makes the same
decisions; outputs are at-least-once (Bytewax re-emits the epoch after its last snapshot) and every
consumer drops what it has already applied: the matcher by the ledger's per-account forward
sequence, the ledger by report position, projections by event id and symbol sequence.
`flows.runner` runs a flow with recovery under the stack's state directory.
"""
