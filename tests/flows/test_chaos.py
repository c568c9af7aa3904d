"""kill -9 the ledger and the matching flow mid-run, restart them: nothing lost, nothing doubled.

A seeded run of more than 20,000 commands goes through a pipeline whose flows are killed and
restarted several times; an identical run goes through a pipeline left alone. At the end PostgreSQL
must hold exactly the same trades and journal lines for both (names aside: each run has its own
symbols, assets and ids so they never meet in the stores), and the audit must pass.
"""

import random
import subprocess
import time

from connectors.postgres.pool import connect
from infra.workload import synthetic_commands
from tests.flows.outcome import outcome
from infra.sandbox import FASTTRADING

ORDERS = 20_000
CHUNKS = 10
ONE_LEDGER_PARTITION = {"account.commands": 1}


def _commands(pipeline, start_ns):
    return list(synthetic_commands(pipeline.listing, accounts=40, orders=ORDERS, seed=2024, start_ns=start_ns,
                                   id_prefix=f"{pipeline.tag}-"))


def _stored(stack, pipeline) -> dict[str, list[tuple]]:
    """Trades and journal lines of one pipeline, with its tag taken out of every name."""
    symbols = list(pipeline.listing)
    assets = sorted({a for spec in pipeline.listing.values() for a in (spec.base, spec.quote)})
    untag = lambda value: value.replace(pipeline.tag, "*") if isinstance(value, str) else value  # noqa: E731
    with connect(stack.postgres) as conn:
        trades = conn.execute(
            """SELECT symbol, seq, price_ticks, quantity_lots, taker_side, maker_order_id, taker_order_id,
                      maker_account_id, taker_account_id, executed_at FROM trades WHERE symbol = ANY(%s)""",
            (symbols,)).fetchall()
        lines = conn.execute(
            """SELECT entry_id, account_id, asset, bucket, amount, kind, command_id, reference, created_at
               FROM ledger_entries WHERE asset = ANY(%s)""", (assets,)).fetchall()
    return {"trades": sorted(tuple(map(untag, row)) for row in trades),
            "journal": sorted(tuple(map(untag, row)) for row in lines)}


def _projected(stack, pipeline):
    """Ready when PostgreSQL holds every trade and journal entry the pipeline's topics carry."""
    def ready() -> bool:
        decided = outcome(pipeline)
        stored = _stored(stack, pipeline)
        return (len(stored["trades"]) == sum(map(len, decided["trades"].values()))
                and len(stored["journal"]) == 2 * len(decided["journal"]))
    return ready


def test_killed_and_restarted_flows_store_exactly_what_an_undisturbed_run_stores(make_pipeline, stack):
    start_ns = time.time_ns()
    calm = make_pipeline("calm", partitions=ONE_LEDGER_PARTITION)
    for name in ("ledger", "matching", "projections"):
        calm.start(name)
    calm.produce(_commands(calm, start_ns))
    calm.settle(ready=_projected(stack, calm))
    expected = _stored(stack, calm)
    calm.stop()
    assert len(expected["trades"]) > 5_000

    chaos = make_pipeline("chaos", partitions=ONE_LEDGER_PARTITION)
    for name in ("ledger", "matching", "projections"):
        chaos.start(name)
    commands = _commands(chaos, start_ns)
    rng = random.Random(99)
    victims = ["ledger", "matching", "ledger", "matching", "ledger", "matching"]
    chunk = len(commands) // CHUNKS
    for index in range(CHUNKS):
        chaos.produce(commands[index * chunk:(index + 1) * chunk if index < CHUNKS - 1 else None])
        if index < len(victims):
            time.sleep(rng.uniform(0.5, 3.0))  # let it get busy, then pull the plug mid-batch
            chaos.kill(victims[index])
            time.sleep(rng.uniform(0.0, 1.0))
            chaos.start(victims[index])
    chaos.settle(ready=_projected(stack, chaos))
    stored = _stored(stack, chaos)

    assert len(stored["trades"]) == len(expected["trades"]), "trades lost or doubled"
    assert stored["trades"] == expected["trades"]
    assert len(stored["journal"]) == len(expected["journal"]), "journal lines lost or doubled"
    assert stored["journal"] == expected["journal"]
    assets = sorted({a for spec in chaos.listing.values() for a in (spec.base, spec.quote)})
    audit = subprocess.run([FASTTRADING, "audit", *(f"--asset={asset}" for asset in assets)],
                           capture_output=True, text=True, env=chaos.env)
    assert audit.returncode == 0, audit.stdout + audit.stderr
