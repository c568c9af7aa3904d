"""The stack's lifecycle, on its own ports and state directory so the shared stack is untouched."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

FASTTRADING = str(Path(sys.executable).with_name("fasttrading"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _our_processes(state_dir: Path) -> list[str]:
    """Command lines of live processes that use the state directory (broker, postgres, redis)."""
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


@pytest.fixture
def isolated_env(tmp_path):
    env = {
        **os.environ,
        "FASTTRADING_STATE_DIR": str(tmp_path / "state"),
        "FASTTRADING_KAFKA_PORT": str(_free_port()),
        "FASTTRADING_KAFKA_CONTROLLER_PORT": str(_free_port()),
        "FASTTRADING_PG_PORT": str(_free_port()),
        "FASTTRADING_REDIS_PORT": str(_free_port()),
    }
    yield env
    subprocess.run([FASTTRADING, "stack", "down"], env=env, capture_output=True)


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FASTTRADING, *args], env=env, capture_output=True, text=True, timeout=300)


def _pids(output: str) -> dict[str, str]:
    return {line.split()[0]: line.split("pid ")[1].split()[0] for line in output.splitlines() if "pid " in line}


def test_stack_lifecycle_up_twice_status_kill_and_down(isolated_env):
    state_dir = Path(isolated_env["FASTTRADING_STATE_DIR"]).resolve()

    first = _cli(isolated_env, "stack", "up")
    assert first.returncode == 0, first.stderr
    second = _cli(isolated_env, "stack", "up")
    assert second.returncode == 0, second.stderr
    assert _pids(first.stdout).keys() == {"kafka", "postgres", "redis"}
    assert _pids(second.stdout) == _pids(first.stdout), "a second `up` must start nothing"

    healthy = _cli(isolated_env, "stack", "status")
    assert healthy.returncode == 0, healthy.stdout

    os.kill(int(_pids(first.stdout)["kafka"]), signal.SIGKILL)
    broken = _cli(isolated_env, "stack", "status")
    assert broken.returncode != 0
    [kafka_line] = [line for line in broken.stdout.splitlines() if line.startswith("kafka")]
    assert " down " in kafka_line

    stopped = _cli(isolated_env, "stack", "down")
    assert stopped.returncode == 0, stopped.stderr
    assert _our_processes(state_dir) == []
    assert _cli(isolated_env, "stack", "status").returncode != 0


def test_a_bad_setting_fails_with_one_line_naming_the_variable():
    env = {**os.environ, "FASTTRADING_PG_PORT": "not-a-port"}
    result = _cli(env, "stack", "status")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "FASTTRADING_PG_PORT" in result.stderr
