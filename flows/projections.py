"""Projections flow: the core's events into PostgreSQL (history, queries) and Redis (hot data, fan-out).

Input:   `matcher.events` (key symbol) and `ledger.events` (key account). Projections decide nothing,
         so reading two topics is safe here: every write is idempotent (see
         `connectors.postgres.projections` and `connectors.redis.projections`).
State:   none in Bytewax; a symbol's events stay on the worker that reads its partition, so each
         symbol's Redis book has one writer.
Outputs: PostgreSQL `trades`, `orders`, `ledger_entries`, `balances`; Redis books, prices and
         channels; `deadletter` for what does not decode.
"""

from __future__ import annotations

import psycopg
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition

import bytewax.operators as op
from connectors.kafka.topics import LEDGER_EVENTS, MATCHER_EVENTS
from connectors.postgres import projections as postgres_projections
from connectors.postgres.pool import connect
from connectors.redis import projections as redis_projections
from connectors.redis.client import make_redis
from connectors.settings import FlowSettings, KafkaSettings, PostgresSettings, RedisSettings
from flows import wiring

INPUTS = (MATCHER_EVENTS, LEDGER_EVENTS)
LEDGER_EVENT_TYPES = frozenset({"journal", "ledger_rejected"})
GATHER_MS = 50


class _StoresPartition(StatelessSinkPartition[list[tuple]]):
    def __init__(self, postgres: PostgresSettings, redis: RedisSettings) -> None:
        self.conn: psycopg.Connection = connect(postgres)
        self.redis = make_redis(redis, timeout_s=10)

    def write_batch(self, batches: list[list[tuple]]) -> None:
        events = [event for batch in batches for event in batch]
        matcher_events = [event for event in events if event[0] not in LEDGER_EVENT_TYPES]
        ledger_events = [event for event in events if event[0] in LEDGER_EVENT_TYPES]
        # PostgreSQL first: if Redis fails after it, the replay re-applies both and both skip what they have.
        postgres_projections.project(self.conn, matcher_events, ledger_events)
        redis_projections.project(self.redis, matcher_events, ledger_events)

    def close(self) -> None:
        self.conn.close()
        self.redis.close()


class StoresSink(DynamicSink[list[tuple]]):
    """Writes each worker's lists of core events to PostgreSQL and Redis, a batch at a time."""

    def __init__(self, postgres: PostgresSettings, redis: RedisSettings) -> None:
        self.postgres, self.redis = postgres, redis

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _StoresPartition:
        return _StoresPartition(self.postgres, self.redis)


def build_flow(kafka: KafkaSettings, flows: FlowSettings, postgres: PostgresSettings,
               redis: RedisSettings) -> Dataflow:
    flow = Dataflow("projections")
    by_name = {kafka.topic(topic.name): topic for topic in INPUTS}
    # Stores take fewer, larger transactions: a batch costs PostgreSQL and Redis far more than an event.
    chunks = wiring.read_topics(flow, kafka, flows, by_name.values(), gather_ms=GATHER_MS)
    decoded = op.map_value("decode", chunks, lambda chunk: wiring.decode_chunk(chunk, kafka, by_name[chunk.topic]))
    op.output("stores", op.map("events", decoded, lambda item: item[1][0]), StoresSink(postgres, redis))
    wiring.write("dead_letters", op.filter_map_value("letters", decoded, lambda pair: pair[1] or None), kafka)
    return flow
