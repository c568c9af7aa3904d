"""What `fasttrading stack status` says about one service."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from infra.stack import process
from infra.stack.errors import StackError


@dataclass(frozen=True, slots=True)
class Health:
    service: str
    up: bool
    address: str
    version: str = ""
    pid: int | None = None  # set when this stack started the process
    detail: str = ""

    def line(self) -> str:
        state = "up" if self.up else "down"
        owner = f"pid {self.pid}" if self.pid else ("external" if self.up else "")
        parts = [f"{self.service:<10}", f"{state:<5}", f"{self.address:<22}", self.version, owner, self.detail]
        return "  ".join(part for part in parts if part).rstrip()


def wait_until_up(probe: Callable[[], Health], *, timeout_s: float, poll_s: float, log: Path) -> Health:
    """Probe a service we just started until it answers; fail early, with its log, if it exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        current = probe()
        if current.up:
            return current
        if current.pid is None:
            raise StackError(f"{current.service} exited at start; its log ends:\n{process.tail(log)}")
        time.sleep(poll_s)
    raise StackError(f"{probe().service} did not answer within {timeout_s:.0f}s; see {log}")
