"""`fasttrading bench pipeline`: orders through Kafka, the ledger and matching flows, and back.

A sandbox pipeline (own topics and symbols, see `infra.sandbox`) runs the ledger, matching and
projection flows as separate processes. After the traders' deposits and one warm-up trade have gone
through (so start-up is not measured), a seeded stream of orders is produced into
`account.commands`, as fast as possible or paced at `rate` orders/s. A watcher consumes
`matcher.events` and `ledger.events`: latency is from an order's produce call to the first trade
it causes as taker; throughput is orders divided by the time from the first produce to the last
settlement the ledger journals.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import orjson
from confluent_kafka import Consumer, TopicPartition

from connectors.settings import FlowSettings, load
from flows.runner import FLOW_NAMES
from infra.sandbox import Sandbox
from infra.stack.services import StackConfig
from infra.workload import synthetic_commands
from matcher.commands import Deposit, PlaceOrder

QUIET_S = 3.0
TRADE_PREFIX = b'{"type":"trade",'  # how `matcher.messages.to_dict` + orjson start a trade event
SETTLE_MARK = b'"reason":"settle"'


class Watcher(threading.Thread):
    """Reads the pipeline's outputs from the start, noting when trades and settlements arrive."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(daemon=True)
        self.consumer = Consumer({"bootstrap.servers": sandbox.kafka.bootstrap_servers, "group.id": "bench",
                                  "enable.auto.commit": False})
        partitions = []
        for topic in ("matcher.events", "ledger.events"):
            name = sandbox.kafka.topic(topic)
            for index in self.consumer.list_topics(name, timeout=10).topics[name].partitions:
                partitions.append(TopicPartition(name, index, 0))
        self.consumer.assign(partitions)
        self.first_trade_ns: dict[str, int] = {}  # taker order id -> when its first trade was seen
        self.last_settle_ns = 0
        self.last_message_ns = time.monotonic_ns()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            # consume() with a timeout waits for a full batch; poll() answers with the first record.
            batch = self.consumer.consume(5_000, 0)
            if not batch:
                first = self.consumer.poll(0.05)
                batch = [] if first is None else [first]
            for msg in batch:
                if msg.error() is not None:
                    continue
                now = time.monotonic_ns()
                self.last_message_ns = now
                # The watcher shares the cores it measures: it parses only the events it times.
                value = msg.value()
                if value.startswith(TRADE_PREFIX):
                    self.first_trade_ns.setdefault(orjson.loads(value)["taker_order_id"], now)
                elif SETTLE_MARK in value and orjson.loads(value)["reason"] == "settle":
                    self.last_settle_ns = now
        self.consumer.close()

    def wait_for(self, condition, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the pipeline did not answer in time")
            time.sleep(0.05)


def run_pipeline_bench(stack: StackConfig, *, orders: int, rate: float | None, seed: int, accounts: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="fasttrading-bench-") as directory:
        # snapshots at the production interval (FASTTRADING_FLOW_SNAPSHOT_INTERVAL_S), not the tests' short one
        sandbox = Sandbox(stack, Path(directory), symbols=3, snapshot_interval_s=load(FlowSettings).snapshot_interval_s)
        try:
            for name in FLOW_NAMES:
                sandbox.start(name)
            return _measure(sandbox, orders=orders, rate=rate, seed=seed, accounts=accounts)
        finally:
            sandbox.close()


def _measure(sandbox: Sandbox, *, orders: int, rate: float | None, seed: int, accounts: int) -> dict:
    commands = list(synthetic_commands(sandbox.listing, accounts=accounts, orders=orders, seed=seed,
                                       start_ns=time.time_ns(), id_prefix=f"{sandbox.tag}-"))
    deposits = [c for c in commands if type(c) is Deposit]
    stream = commands[len(deposits):]
    watcher = Watcher(sandbox)
    watcher.start()
    try:
        # The sandbox's intake producer sends the warm-up too: a new producer's first records wait
        # for metadata, which is start-up, not the pipeline's latency.
        sandbox.produce([*deposits, *_warm_up_trade(sandbox)])
        watcher.wait_for(lambda: f"{sandbox.tag}-warmup-buy" in watcher.first_trade_ns)
        produced_ns = _produce(sandbox, stream, rate)
        watcher.wait_for(lambda: time.monotonic_ns() - watcher.last_message_ns > QUIET_S * 1e9,
                         timeout_s=600)
        sandbox.assert_running()
    finally:
        watcher.stopping.set()
        watcher.join()
    first_ns = min(produced_ns.values())
    latencies_ms = sorted((watcher.first_trade_ns[order_id] - sent) / 1e6
                          for order_id, sent in produced_ns.items() if order_id in watcher.first_trade_ns)
    elapsed_s = (watcher.last_settle_ns - first_ns) / 1e9
    return {
        "orders": len(stream),
        "orders_per_s": round(len(stream) / elapsed_s, 1),
        "p50_ms": round(statistics.median(latencies_ms), 2),
        "p99_ms": round(latencies_ms[min(len(latencies_ms) - 1, int(len(latencies_ms) * 0.99))], 2),
        "rate": rate,
        "trades_timed": len(latencies_ms),
    }


def _warm_up_trade(sandbox: Sandbox) -> list:
    spec = next(iter(sandbox.listing.values()))
    account, ts = f"{sandbox.tag}-warmup", time.time_ns()
    place = lambda side, n: PlaceOrder(cmd_id=f"{account}-{side}", ts_ns=ts + n, account=account,  # noqa: E731
                                       symbol=spec.symbol, order_id=f"{account}-{side}", side=side, price=1, qty=1)
    return [Deposit(cmd_id=f"{account}-q", ts_ns=ts, account=account, asset=spec.quote, amount=10**9),
            Deposit(cmd_id=f"{account}-b", ts_ns=ts, account=account, asset=spec.base, amount=10**9),
            place("sell", 1), place("buy", 2)]


def _produce(sandbox: Sandbox, stream: list, rate: float | None) -> dict[str, int]:
    """Produce the stream (paced at `rate`/s if given); returns each order's produce time."""
    produced: dict[str, int] = {}
    start = time.monotonic_ns()
    for index, command in enumerate(stream):
        if rate:
            due = start + int(index * 1e9 / rate)
            while time.monotonic_ns() < due:
                time.sleep(max(0.0, (due - time.monotonic_ns()) / 1e9 - 0.0005))
        sandbox.send(command)
        produced[command.order_id] = time.monotonic_ns()
        if index % 1_000 == 0:
            sandbox.intake.poll(0)
    sandbox.intake.flush(60)
    return produced
