"""Run a flow by name, with Bytewax recovery under the stack's state directory.

State snapshots are taken every `FASTTRADING_FLOW_SNAPSHOT_INTERVAL_S` seconds into
`<recovery_dir>/<topic prefix><flow>`; a restarted flow resumes from its last snapshot and the Kafka
offsets stored with it. Several processes form one cluster with `process_id` and `addresses`
(Bytewax's `-i`/`-a`), each with `workers` worker threads.
"""

from __future__ import annotations

import fcntl
import gc
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable, Mapping

from bytewax._bytewax import cli_main
from bytewax.dataflow import Dataflow
from bytewax.recovery import RecoveryConfig, init_db_dir

from connectors.kafka.topics import Topic
from connectors.listing import ListingSettings, load_listing
from connectors.settings import (FlowSettings, KafkaSettings, PostgresSettings, RedisSettings, StackSettings,
                                 load)
from flows import ledger, matching, projections
from matcher.symbols import SymbolSpec


@dataclass(frozen=True, slots=True)
class FlowConfig:
    stack: StackSettings
    kafka: KafkaSettings
    flows: FlowSettings
    postgres: PostgresSettings
    redis: RedisSettings
    listing: Mapping[str, SymbolSpec]

    @classmethod
    def from_env(cls) -> FlowConfig:
        return cls(load(StackSettings), load(KafkaSettings), load(FlowSettings), load(PostgresSettings),
                   load(RedisSettings), load_listing(load(ListingSettings)))

    def recovery_dir(self, name: str) -> Path:
        base = self.flows.recovery_dir or self.stack.state_dir / "recovery"
        return base / f"{self.kafka.topic_prefix}{name}"


BUILDERS: dict[str, Callable[[FlowConfig], Dataflow]] = {
    "ledger": lambda c: ledger.build_flow(c.kafka, c.flows, c.listing),
    "matching": lambda c: matching.build_flow(c.kafka, c.flows, c.listing),
    "projections": lambda c: projections.build_flow(c.kafka, c.flows, c.postgres, c.redis),
}
FLOW_NAMES = tuple(BUILDERS)
FLOW_INPUTS: dict[str, tuple[Topic, ...]] = {"ledger": ledger.INPUTS, "matching": matching.INPUTS,
                                             "projections": projections.INPUTS}


def prepare_recovery(directory: Path, partitions: int) -> None:
    """Create the recovery partitions once. They are made aside and renamed into place, so a process
    killed half-way leaves nothing half-made; a lock makes concurrent cluster processes agree."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f".{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if directory.exists():
            return
        staging = directory.with_name(f".{directory.name}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        init_db_dir(staging, partitions)
        staging.rename(directory)


# A flow holds large, long-lived state (books, ledgers, recent ids) and allocates a few dicts per
# event. Under CPython's default thresholds (700, 10, 10) the cycle collector ran every few hundred
# allocations and now and then walked all of that state: a third of the flows' CPU in `bench
# pipeline`. Their data has no reference cycles, so reference counting frees it; the collector is
# left to catch the rare cycle, less often, and never walks again what survived a full collection.
GC_THRESHOLDS = (50_000, 20, 100)


def _tune_garbage_collector() -> None:
    gc.freeze()  # what start-up built lives as long as the process
    gc.set_threshold(*GC_THRESHOLDS)
    gc.callbacks.append(_freeze_after_full_collection)


def _freeze_after_full_collection(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def run(name: str, config: FlowConfig, *, workers: int = 1, process_id: int | None = None,
        addresses: list[str] | None = None) -> None:
    """Run flow `name` until it is stopped; blocks."""
    flow = BUILDERS[name](config)
    _tune_garbage_collector()
    directory = config.recovery_dir(name)
    prepare_recovery(directory, config.flows.recovery_partitions)
    cli_main(
        flow,
        workers_per_process=workers,
        process_id=process_id,
        addresses=addresses,
        epoch_interval=timedelta(seconds=config.flows.snapshot_interval_s),
        recovery_config=RecoveryConfig(str(directory)),
    )
