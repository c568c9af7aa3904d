"""Detached processes tracked by pid files, so `down` stops exactly what `up` started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Mapping, Sequence


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (the postgres server)
        return True
    # A zombie has exited but not been reaped; it counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def running_pid(pidfile: Path) -> int | None:
    pid = read_pid(pidfile)
    return pid if pid is not None and is_alive(pid) else None


def spawn(
    argv: Sequence[str],
    *,
    pidfile: Path,
    log_path: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start `argv` in its own session (Ctrl-C in our terminal does not reach it); record its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
            start_new_session=True,
        )
    pidfile.write_text(f"{process.pid}\n")
    return process.pid


def terminate(pid: int, *, timeout_s: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout_s`."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def stop_by_pidfile(pidfile: Path, *, timeout_s: float) -> bool:
    """Terminate the process a pid file names, if it runs; True if there was one to stop."""
    pid = running_pid(pidfile)
    if pid is None:
        return False
    terminate(pid, timeout_s=timeout_s)
    pidfile.unlink(missing_ok=True)
    return True


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
