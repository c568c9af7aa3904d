"""`fasttrading up`, the main job: the stack, then every flow, the API and the market simulator as
supervised child processes, until Ctrl-C.

Children are `fasttrading` subcommands with pid files and logs under `<state_dir>/run/`. A child
that dies is started again (flows resume from their recovery snapshots), so a kill -9 of any part
heals by itself; Ctrl-C stops the children, then the services this stack started.
"""

from __future__ import annotations

import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from connectors.settings import ApiSettings, load
from infra.stack import process, services

SUPERVISE_EVERY_S = 2.0


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    argv: tuple[str, ...]  # arguments of the `fasttrading` command


PARTS = (
    Part("ledger", ("flows", "run", "ledger")),
    Part("matching", ("flows", "run", "matching")),
    Part("projections", ("flows", "run", "projections")),
    Part("clock", ("clock",)),
    Part("api", ("api",)),
    Part("simulator", ("simulate",)),
)


def _command() -> str:
    return shutil.which("fasttrading") or str(Path(sys.executable).with_name("fasttrading"))


class Platform:
    def __init__(self, config: services.StackConfig, parts: tuple[Part, ...] = PARTS) -> None:
        self.config = config
        self.parts = parts
        self.run_dir = config.stack.state_dir / "run"

    def pidfile(self, part: Part) -> Path:
        return self.run_dir / f"{part.name}.pid"

    def log_path(self, part: Part) -> Path:
        return self.run_dir / f"{part.name}.log"

    def start_missing(self) -> list[str]:
        """Start every part that is not running; returns the names started."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        started = []
        for part in self.parts:
            if process.running_pid(self.pidfile(part)) is None:
                process.spawn([_command(), *part.argv], pidfile=self.pidfile(part), log_path=self.log_path(part))
                started.append(part.name)
        return started

    def supervise(self, stop: threading.Event, report=print) -> None:
        while not stop.wait(SUPERVISE_EVERY_S):
            for name in self.start_missing():
                report(f"{name} had stopped; started it again (see {self.run_dir / (name + '.log')})")

    def stop(self) -> list[str]:
        stopped = []
        for part in reversed(self.parts):
            pid = process.running_pid(self.pidfile(part))
            if pid is not None:
                process.terminate(pid, timeout_s=20)
                stopped.append(part.name)
            self.pidfile(part).unlink(missing_ok=True)
        return stopped

    def urls(self) -> list[str]:
        api = load(ApiSettings)
        kafka, postgres, redis = self.config.kafka, self.config.postgres, self.config.redis
        return [
            f"API        http://{api.host}:{api.port}/api/v1   (OpenAPI: http://{api.host}:{api.port}/docs)",
            f"websocket  ws://{api.host}:{api.port}/ws",
            f"Kafka      {kafka.bootstrap_servers}",
            f"PostgreSQL postgresql://{postgres.user}@{postgres.host}:{postgres.port}/{postgres.database}",
            f"Redis      {redis.url}",
            f"logs       {self.run_dir}/*.log",
        ]
