"""Same input log, same decisions: a replay from scratch, and any number of workers or processes.

Both runs use one `account.commands` partition: then the ledger's order of forwarding is the log's
order and every step downstream is a function of it. (With several partitions, orders from
different partitions meet at a book in arrival order, as on any partitioned exchange; replays after
a crash stay exact because each step replays its own input log, see test_chaos.)
"""

import time

from infra.workload import synthetic_commands
from tests.flows.outcome import by_key, outcome
from tests.isolation import free_port

ONE_LEDGER_PARTITION = {"account.commands": 1}


def _workload(pipeline, orders: int, seed: int = 7):
    return synthetic_commands(pipeline.listing, accounts=12, orders=orders, seed=seed, start_ns=time.time_ns(),
                              id_prefix=f"{pipeline.listing_tag or pipeline.tag}-")


def test_replaying_the_same_command_log_gives_byte_identical_outputs(make_pipeline):
    first = make_pipeline("first", partitions=ONE_LEDGER_PARTITION)
    first.produce(_workload(first, orders=1_500))
    first.start("ledger")
    first.start("matching")
    first.settle()
    log = first.read("account.commands")

    second = make_pipeline("second", partitions=ONE_LEDGER_PARTITION, listing_tag=first.tag)
    second.produce_raw("account.commands", log[0], partition=0)  # user commands and reports, as logged
    second.start("ledger")
    second.start("matching")
    second.settle()

    for topic in ("orders.accepted", "matcher.events", "ledger.events"):
        produced, replayed = by_key(first.read(topic)), by_key(second.read(topic))
        assert replayed == produced, f"{topic} differs on replay"
    assert sum(len(values) for values in by_key(first.read("matcher.events")).values()) > 1_500


def _run(pipeline, layout: str) -> dict:
    pipeline.produce(_workload(pipeline, orders=3_000, seed=11))
    for name in ("ledger", "matching"):
        if layout == "1 worker":
            pipeline.start(name)
        elif layout == "2 workers":
            pipeline.start(name, "--workers", "2")
        else:
            addresses = f"127.0.0.1:{free_port()};127.0.0.1:{free_port()}"
            for process_id in (0, 1):
                pipeline.start(name, "-i", str(process_id), "-a", addresses, key=name)
    pipeline.settle()
    return outcome(pipeline)


def test_one_worker_two_workers_and_two_processes_agree(make_pipeline):
    reference = make_pipeline("one", partitions=ONE_LEDGER_PARTITION, symbols=3)
    expected = _run(reference, "1 worker")
    assert sum(len(trades) for trades in expected["trades"].values()) > 500
    for layout in ("2 workers", "2 processes"):
        pipeline = make_pipeline(layout.replace(" ", "-"), partitions=ONE_LEDGER_PARTITION, symbols=3,
                                 listing_tag=reference.tag)
        assert _run(pipeline, layout) == expected, f"{layout} disagree with 1 worker"
        pipeline.stop()
