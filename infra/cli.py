"""The `fasttrading` command: one entry point for running, operating and measuring the platform."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks; each prints one JSON object as its last line.")
app.add_typer(bench_app, name="bench")


def main() -> None:
    app()
