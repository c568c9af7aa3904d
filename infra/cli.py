"""The `fasttrading` command: one entry point for running, operating and measuring the platform."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated

import orjson
import typer

from connectors.errors import ConnectorError, SettingsError
from infra.stack import services
from infra.stack.errors import StackError
from infra.stack.process import tail

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
stack_app = typer.Typer(no_args_is_help=True, help="The local Kafka, PostgreSQL and Redis on loopback.")
flows_app = typer.Typer(no_args_is_help=True, help="The Bytewax dataflows: ledger, matching, projections.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks; each prints one JSON object as its last line.")
app.add_typer(stack_app, name="stack")
app.add_typer(flows_app, name="flows")
app.add_typer(bench_app, name="bench")


def _print_health(healths: list) -> bool:
    for health in healths:
        typer.echo(health.line())
    return all(health.up for health in healths)


@stack_app.command("up")
def stack_up() -> None:
    """Start (or reuse) Kafka, PostgreSQL and Redis; create topics and apply migrations."""
    _print_health(services.up(services.StackConfig.from_env()))


@stack_app.command("status")
def stack_status() -> None:
    """One line per service; exits 0 only when every service is healthy."""
    if not _print_health(services.status(services.StackConfig.from_env())):
        raise typer.Exit(1)


@stack_app.command("down")
def stack_down() -> None:
    """Stop the services this stack started; services it found running stay up."""
    stopped = services.down(services.StackConfig.from_env())
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing of ours was running")


@stack_app.command("logs")
def stack_logs(
    service: Annotated[str, typer.Argument(help="kafka, postgres or redis")],
    lines: Annotated[int, typer.Option("--lines", "-n")] = 50,
) -> None:
    """Print the end of a service's log."""
    if service not in services.SERVICE_NAMES:
        raise typer.BadParameter(f"choose one of {', '.join(services.SERVICE_NAMES)}", param_hint="SERVICE")
    typer.echo(tail(services.log_path(services.StackConfig.from_env(), service), lines))


@flows_app.command("run")
def flows_run(
    name: Annotated[str, typer.Argument(help="ledger, matching or projections")],
    workers: Annotated[int, typer.Option("--workers", "-w", help="Worker threads in this process.")] = 1,
    process_id: Annotated[int | None, typer.Option("--process-id", "-i", help="This process's index in a cluster.")] = None,
    addresses: Annotated[str | None, typer.Option("--addresses", "-a", help="host:port of every cluster process, ';'-separated.")] = None,
) -> None:
    """Run one flow until stopped; it resumes from its last snapshot when restarted."""
    from flows import runner

    if name not in runner.FLOW_NAMES:
        raise typer.BadParameter(f"choose one of {', '.join(runner.FLOW_NAMES)}", param_hint="NAME")
    runner.run(name, runner.FlowConfig.from_env(), workers=workers, process_id=process_id,
               addresses=addresses.split(";") if addresses else None)


@flows_app.command("lag")
def flows_lag() -> None:
    """Per flow and input partition: how far the flow has read (as of its last snapshot), and the records still unread."""
    from connectors.settings import KafkaSettings, load
    from flows.kafka_io import read_positions
    from flows.runner import FLOW_INPUTS

    kafka = load(KafkaSettings)
    for flow, topics in FLOW_INPUTS.items():
        for position in read_positions(kafka, flow, [kafka.topic(topic.name) for topic in topics]):
            read = "-" if position.committed is None else position.committed
            typer.echo(f"{flow:<12} {position.topic}[{position.partition}]  read {read} of {position.end}  "
                       f"lag {position.lag}  reader pid {position.reader or '-'}")


@bench_app.command("pipeline")
def bench_pipeline(
    orders: Annotated[int, typer.Option(help="Orders in the measured stream.")] = 50_000,
    rate: Annotated[float | None, typer.Option(help="Pace the producer at this many orders/s.")] = None,
    seed: Annotated[int, typer.Option()] = 1,
    accounts: Annotated[int, typer.Option(help="Synthetic traders.")] = 200,
    with_projections: Annotated[bool, typer.Option(
        help="Run the projections during the stream instead of timing their drain afterwards.")] = False,
) -> None:
    """Orders through Kafka, ledger, matching and back; throughput and produce-to-trade latency."""
    from infra.bench.pipeline import run_pipeline_bench

    config = services.StackConfig.from_env()
    services.up(config)
    typer.echo(orjson.dumps(run_pipeline_bench(config, orders=orders, rate=rate, seed=seed,
                                               accounts=accounts, with_projections=with_projections)).decode())


@app.command("audit")
def audit(
    live: Annotated[bool, typer.Option(help="Allow trades settled on one side only (a running exchange).")] = False,
    asset: Annotated[list[str] | None, typer.Option(help="Audit only this asset (repeatable).")] = None,
) -> None:
    """Check conservation of every asset against PostgreSQL; exits 1 naming the asset if it fails."""
    from connectors.postgres.audit import audit as run_audit
    from connectors.postgres.pool import connect
    from connectors.settings import PostgresSettings, load

    with connect(load(PostgresSettings)) as conn:
        findings = run_audit(conn, live=live, assets=asset or None)
    for finding in findings:
        typer.echo(finding.line())
    if findings:
        raise typer.Exit(1)
    typer.echo("audit passed: every asset is conserved")


@app.command("up")
def platform_up(
    detach: Annotated[bool, typer.Option(help="Return once everything runs instead of waiting for Ctrl-C.")] = False,
) -> None:
    """Run the platform: the stack, every flow, the API and the market simulator, until Ctrl-C."""
    from infra.platform import Platform

    config = services.StackConfig.from_env()
    _print_health(services.up(config))
    platform = Platform(config)
    platform.start_missing()
    for line in platform.urls():
        typer.echo(line)
    if detach:
        typer.echo("FastTrading runs in the background; `fasttrading down` stops it.")
        return
    typer.echo("FastTrading is up. Ctrl-C stops it.")
    stop = _stop_signal()
    platform.supervise(stop, report=typer.echo)
    _down(config)


@app.command("down")
def platform_down() -> None:
    """Stop what `fasttrading up` started: its processes, then the services of the stack."""
    _down(services.StackConfig.from_env())


def _down(config: services.StackConfig) -> None:
    from infra.platform import Platform

    stopped = Platform(config).stop() + services.down(config)
    typer.echo(f"stopped: {', '.join(stopped) or 'nothing of ours'}")


@app.command("clock")
def clock(
    interval_s: Annotated[float, typer.Option(help="Seconds between ticks.")] = 1.0,
    ticks: Annotated[int | None, typer.Option(help="Stop after this many ticks (default: run until Ctrl-C).")] = None,
) -> None:
    """Tell every book the time each interval, so GTD orders expire on quiet symbols too."""
    from connectors.listing import ListingSettings, load_listing
    from connectors.settings import KafkaSettings, load
    from infra.clock import tick

    tick(load(KafkaSettings), load_listing(load(ListingSettings)), interval_s=interval_s, ticks=ticks)


@app.command("simulate")
def simulate(
    rate: Annotated[float, typer.Option(help="Orders per second.")] = 20.0,
    traders: Annotated[int, typer.Option(help="Synthetic traders.")] = 50,
) -> None:
    """Synthetic traders placing and cancelling orders on the listing, until Ctrl-C."""
    from connectors.listing import ListingSettings, load_listing
    from connectors.settings import KafkaSettings, load
    from infra.simulator import simulate as run_simulator

    run_simulator(load(KafkaSettings), load_listing(load(ListingSettings)), rate=rate, traders=traders)


@app.command("api")
def api_serve() -> None:
    """Serve the API alone (uvicorn; FASTTRADING_API_HOST/_PORT/_WORKERS), until Ctrl-C."""
    from api.server import serve

    serve()


@bench_app.command("api")
def bench_api(
    orders: Annotated[int, typer.Option(help="Orders to place in the measured run.")] = 20_000,
    connections: Annotated[int, typer.Option(help="Concurrent HTTP connections.")] = 64,
    url: Annotated[str, typer.Option(help="An API already running; default: spawn one.")] = "",
) -> None:
    """Authenticated order placement over loopback; prints one JSON object as its last line."""
    from infra.bench.api import main as bench_main

    bench_main(orders=orders, connections=connections, url=url or None)


def _stop_signal() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM. Handlers are set explicitly: a shell that starts us in the
    background makes us ignore SIGINT."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@bench_app.command("matcher")
def bench_matcher(
    commands: Annotated[int, typer.Option(help="Measured commands (after a 2,000-order prefill).")] = 500_000,
    seed: Annotated[int, typer.Option(help="Workload seed.")] = 1,
    with_ledger: Annotated[bool, typer.Option(help="Run through ledger + matcher + execution reports.")] = False,
) -> None:
    """exchange-core's mix (9% GTC, 3% IOC, 6% cancel, 82% move) on one core."""
    import json

    from infra.bench.matcher import run

    typer.echo(json.dumps(run(commands=commands, seed=seed, with_ledger=with_ledger)))


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"fasttrading: {exc}", err=True)
        sys.exit(2)
    except (StackError, ConnectorError) as exc:
        typer.echo(f"fasttrading: {exc}", err=True)
        sys.exit(1)
