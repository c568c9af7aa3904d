"""What `fasttrading stack status` says about one service."""

from __future__ import annotations

from dataclasses import dataclass


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
