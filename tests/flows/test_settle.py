"""`Sandbox.settle`, which every flow test trusts to say a pipeline has answered all its input: it
goes by how far each running flow has read, not by how long the topics have been silent. Operators
see the same positions with `fasttrading flows lag`."""

import subprocess
import time

from infra.sandbox import FASTTRADING

from connectors.kafka.serde import decode_events
from matcher.commands import Deposit


def _journal_entries(pipeline) -> int:
    return sum(1 for records in pipeline.read("ledger.events").values() for _, value in records
               for event in decode_events(value) if event["type"] == "journal")


def test_settle_waits_for_a_flow_that_is_still_starting(make_pipeline):
    pipeline = make_pipeline(partitions={"account.commands": 1})
    asset = next(iter(pipeline.listing.values())).quote
    now = time.time_ns()
    deposits = [Deposit(cmd_id=f"d{n}-{pipeline.tag}", ts_ns=now + n, account=f"a{n % 7}-{pipeline.tag}",
                        asset=asset, amount=100) for n in range(300)]
    pipeline.produce(deposits)
    ledger = pipeline.start("ledger")  # its start-up alone outlasts the quiet period
    pipeline.settle(quiet_s=0.5)
    assert _journal_entries(pipeline) == len(deposits)

    lag = subprocess.run([FASTTRADING, "flows", "lag"], capture_output=True, text=True, env=pipeline.env, check=True)
    [ledger_line] = [line.split() for line in lag.stdout.splitlines() if line.startswith("ledger")]
    assert ledger_line[1:] == [f"{pipeline.kafka.topic('account.commands')}[0]", "read", str(len(deposits)), "of",
                               str(len(deposits)), "lag", "0", "reader", "pid", str(ledger.pid)]
    matching_lines = [line.split() for line in lag.stdout.splitlines() if line.startswith("matching")]
    assert matching_lines and all(line[2:4] == ["read", "-"] for line in matching_lines)  # never started

