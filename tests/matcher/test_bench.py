"""Smoke test of the benchmark workload (not a timed test): shape of the result, fills, determinism."""

from __future__ import annotations

from infra.bench.matcher import generate, run

KEYS = {"workload", "commands", "ops_per_s", "p50_us", "p99_us", "fills"}


def test_bench_result_shape_and_same_fills_with_ledger():
    alone = run(commands=3_000, seed=7)
    with_ledger = run(commands=3_000, seed=7, with_ledger=True)
    assert set(alone) == KEYS == set(with_ledger)
    assert alone["workload"] == "exchange-core-mix" and alone["commands"] == 3_000
    assert alone["fills"] == with_ledger["fills"] > 0


def test_workload_mix_is_exchange_core_like():
    _, stream, _ = generate(20_000, seed=3)
    share = {kind: sum(1 for c in stream if c.type == kind) / len(stream) for kind in ("place", "cancel", "amend")}
    assert abs(share["place"] - 0.12) < 0.01 and abs(share["cancel"] - 0.06) < 0.01
    assert abs(share["amend"] - 0.82) < 0.01
