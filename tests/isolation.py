"""Helpers for tests that run their own copy of the stack or the platform beside the shared one."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def isolated_env(state_dir: Path) -> dict[str, str]:
    """The environment of a platform with its own state directory and loopback ports."""
    return {
        **os.environ,
        "FASTTRADING_STATE_DIR": str(state_dir),
        "FASTTRADING_KAFKA_PORT": str(free_port()),
        "FASTTRADING_KAFKA_CONTROLLER_PORT": str(free_port()),
        "FASTTRADING_PG_PORT": str(free_port()),
        "FASTTRADING_REDIS_PORT": str(free_port()),
        "FASTTRADING_API_PORT": str(free_port()),
    }


def processes_using(state_dir: Path) -> list[str]:
    """Command lines of live processes that name the state directory (broker, postgres, redis, flows)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(state_dir) in cmdline and state != "Z":
            found.append(cmdline)
    return found
