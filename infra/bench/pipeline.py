"""`fasttrading bench pipeline`: orders through Kafka, the ledger and matching flows, and back.

A sandbox pipeline (own topics and symbols, see `infra.sandbox`) runs the ledger and matching flows as
separate processes. After the traders' deposits and one warm-up trade have gone through (so start-up
is not measured), a seeded stream of orders is produced into `account.commands`, as fast as possible
or paced at `rate` orders/s.

Nothing reads the outputs while the stream runs, so measuring takes no CPU from what is measured: the
broker stamps each record with the time it appended it (`LogAppendTime` on the sandbox's topics), and
once the pipeline is quiet the bench reads `matcher.events` and `ledger.events` back. Latency is from
an order's produce call to the append of the first trade it caused as taker; throughput is orders
divided by the time from the first produce to the append of the last settlement.

The stores are timed apart: the projections flow then starts on the same topics and is timed, from
its start, until PostgreSQL holds every trade and journal line (`projections_orders_per_s`). On 2 cores they
would otherwise take the cores the core flows run on; `with_projections` runs them during the stream.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME

from connectors.kafka.errors import KafkaError
from connectors.kafka.serde import decode_events
from connectors.kafka.topics import LEDGER_EVENTS, MATCHER_EVENTS
from connectors.postgres.pool import connect
from connectors.settings import FlowSettings, load
from infra.sandbox import Sandbox
from infra.stack.services import StackConfig
from infra.workload import synthetic_commands
from matcher.commands import Deposit, PlaceOrder

PACING_S = 0.001  # the paced producer wakes at most this often
CORE_FLOWS = ("ledger", "matching")


@dataclass
class Outputs:
    """What the pipeline wrote, read back after the run; times are the broker's appends (ms)."""

    first_trade_ms: dict[str, int] = field(default_factory=dict)  # taker order id -> its first trade
    last_settle_ms: int = 0
    warm_up_traded: bool = False
    # The last trade and journal line of each partition: the projections apply a partition in order,
    # so once PostgreSQL has these it has everything before them.
    last_rows: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)  # -> (table, row id)


def run_pipeline_bench(stack: StackConfig, *, orders: int, rate: float | None, seed: int, accounts: int,
                       with_projections: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="fasttrading-bench-") as directory:
        # snapshots at the production interval (FASTTRADING_FLOW_SNAPSHOT_INTERVAL_S), not the tests' short one
        sandbox = Sandbox(stack, Path(directory), symbols=3, snapshot_interval_s=load(FlowSettings).snapshot_interval_s,
                          topic_config={"message.timestamp.type": "LogAppendTime"})
        try:
            for name in (*CORE_FLOWS, "projections") if with_projections else CORE_FLOWS:
                sandbox.start(name)
            result, outputs = _measure(sandbox, orders=orders, rate=rate, seed=seed, accounts=accounts)
            if not with_projections:
                elapsed_s = _drain_projections(sandbox, outputs)
                result["projections_orders_per_s"] = round(orders / elapsed_s, 1)
            return result
        finally:
            sandbox.close()


def _measure(sandbox: Sandbox, *, orders: int, rate: float | None, seed: int,
             accounts: int) -> tuple[dict, Outputs]:
    commands = list(synthetic_commands(sandbox.listing, accounts=accounts, orders=orders, seed=seed,
                                       start_ns=time.time_ns(), id_prefix=f"{sandbox.tag}-"))
    deposits = [c for c in commands if type(c) is Deposit]
    stream = commands[len(deposits):]
    # The sandbox's intake producer sends the warm-up too: a new producer's first records wait for
    # metadata, which is start-up, not the pipeline's latency.
    sandbox.produce([*deposits, *_warm_up_trade(sandbox)])
    sandbox.settle()
    produced_ns = _produce(sandbox, stream, rate)
    sandbox.settle(timeout_s=600)
    outputs = _read_outputs(sandbox)
    if not outputs.warm_up_traded:
        raise RuntimeError("the warm-up trade never happened: the pipeline did not match")
    first_ns = min(produced_ns.values())
    latencies_ms = sorted(outputs.first_trade_ms[order_id] - sent / 1e6
                          for order_id, sent in produced_ns.items() if order_id in outputs.first_trade_ms)
    elapsed_s = outputs.last_settle_ms / 1e3 - first_ns / 1e9
    return {
        "orders": len(stream),
        "orders_per_s": round(len(stream) / elapsed_s, 1),
        "p50_ms": round(statistics.median(latencies_ms), 2),
        "p99_ms": _percentile(latencies_ms, 0.99),
        "p999_ms": _percentile(latencies_ms, 0.999),  # where the flows' snapshot pauses show
        "rate": rate,
        "trades_timed": len(latencies_ms),
    }, outputs


def _percentile(ordered: list[float], share: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 2)


def _read_outputs(sandbox: Sandbox) -> Outputs:
    """Every trade and settlement in the sandbox's outputs, with the times the broker appended them."""
    outputs, warm_up_order_id = Outputs(), f"{sandbox.tag}-warmup-buy"
    for topic in (MATCHER_EVENTS.name, LEDGER_EVENTS.name):
        for partition, messages in sandbox.messages(topic).items():
            for msg in messages:
                kind, appended_ms = msg.timestamp()
                if kind != TIMESTAMP_LOG_APPEND_TIME:
                    raise KafkaError(f"{msg.topic()} is not stamped by the broker (LogAppendTime)")
                for event in decode_events(msg.value()):
                    if event["type"] == "trade":
                        trade_id = f"{event['symbol']}:{event['seq']}"
                        outputs.warm_up_traded |= event["taker_order_id"] == warm_up_order_id
                        outputs.first_trade_ms.setdefault(event["taker_order_id"], appended_ms)
                        outputs.last_rows[(topic, partition)] = ("trades", trade_id)
                    elif event["type"] == "journal":
                        if event["reason"] == "settle":
                            outputs.last_settle_ms = max(outputs.last_settle_ms, appended_ms)
                        outputs.last_rows[(topic, partition)] = ("ledger_entries", f"{event['entry_id']}/1")
    return outputs


def _drain_projections(sandbox: Sandbox, outputs: Outputs, timeout_s: float = 600.0) -> float:
    """Seconds from starting the projections flow (its start-up included: a small run is written in
    one transaction, so its first write says nothing of when it began) until PostgreSQL holds the
    last trade and journal line of every partition."""
    trades = [row_id for table, row_id in outputs.last_rows.values() if table == "trades"]
    entries = [row_id for table, row_id in outputs.last_rows.values() if table == "ledger_entries"]
    query = """SELECT (SELECT count(*) FROM trades WHERE trade_id = ANY(%s))
                    + (SELECT count(*) FROM ledger_entries WHERE entry_id = ANY(%s))"""
    with connect(sandbox.stack.postgres) as conn:
        started = time.monotonic()
        sandbox.start("projections")
        while True:
            sandbox.assert_running()
            [found] = conn.execute(query, (trades, entries)).fetchone()
            if found == len(trades) + len(entries):
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"the projections wrote {found} of the rows {outputs.last_rows} in {timeout_s:.0f} s")
            time.sleep(0.05)


def _warm_up_trade(sandbox: Sandbox) -> list:
    spec = next(iter(sandbox.listing.values()))
    account, ts = f"{sandbox.tag}-warmup", time.time_ns()
    place = lambda side, n: PlaceOrder(cmd_id=f"{account}-{side}", ts_ns=ts + n, account=account,  # noqa: E731
                                       symbol=spec.symbol, order_id=f"{account}-{side}", side=side, price=1, qty=1)
    return [Deposit(cmd_id=f"{account}-q", ts_ns=ts, account=account, asset=spec.quote, amount=10**9),
            Deposit(cmd_id=f"{account}-b", ts_ns=ts, account=account, asset=spec.base, amount=10**9),
            place("sell", 1), place("buy", 2)]


def _produce(sandbox: Sandbox, stream: list, rate: float | None) -> dict[str, int]:
    """Produce the stream (paced at `rate`/s if given); returns each order's produce time. Records are
    encoded beforehand, as the API would have done before its produce call, and pacing sleeps rather
    than spins: the bench shares the cores it measures."""
    records = [(command.order_id, sandbox.command_record(command)) for command in stream]
    produce = sandbox.intake.produce
    produced: dict[str, int] = {}
    start = time.monotonic()
    for index, (order_id, (topic, key, value)) in enumerate(records):
        if rate:
            early = start + index / rate - time.monotonic()
            if early > 0:  # orders that fall due together go out together
                time.sleep(max(early, PACING_S))
        produce(topic, value, key)
        produced[order_id] = time.time_ns()  # the broker's append stamps are wall-clock time
        if index % 1_000 == 0:
            sandbox.intake.poll(0)
    sandbox.intake.flush(60)
    return produced
