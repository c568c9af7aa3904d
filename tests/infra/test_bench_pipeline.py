"""The pipeline benchmark on the real stack, small (not a timed test): it runs, it measures every
order that traded, and its numbers are consistent with each other."""

from __future__ import annotations

from infra.bench.pipeline import run_pipeline_bench

KEYS = {"orders", "orders_per_s", "p50_ms", "p99_ms", "p999_ms", "rate", "trades_timed", "projections_orders_per_s"}


def test_pipeline_bench_times_trades_settlements_and_the_stores_drain(stack):
    result = run_pipeline_bench(stack, orders=2_000, rate=None, seed=3, accounts=40)
    assert set(result) == KEYS and result["orders"] == 2_000 and result["rate"] is None
    # a seeded stream crosses the spread often: a few hundred takers trade
    assert 100 < result["trades_timed"] < 2_000
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["p999_ms"] < 60_000
    assert result["orders_per_s"] > 0 and result["projections_orders_per_s"] > 0


def test_paced_pipeline_bench_runs_the_projections_alongside(stack):
    result = run_pipeline_bench(stack, orders=600, rate=300, seed=4, accounts=20, with_projections=True)
    assert set(result) == KEYS - {"projections_orders_per_s"} and result["rate"] == 300
    assert result["trades_timed"] > 0
    # paced below capacity, the stream takes about orders / rate seconds
    assert 150 < result["orders_per_s"] <= 310
