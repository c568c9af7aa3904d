"""The stack's lifecycle, on its own ports and state directory so the shared stack is untouched."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from infra.sandbox import FASTTRADING
from tests.isolation import isolated_env as isolated_env_for
from tests.isolation import processes_using


@pytest.fixture
def isolated_env(tmp_path):
    env = isolated_env_for(tmp_path / "state")
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
    assert processes_using(state_dir) == []
    assert _cli(isolated_env, "stack", "status").returncode != 0


def test_a_bad_setting_fails_with_one_line_naming_the_variable():
    env = {**os.environ, "FASTTRADING_PG_PORT": "not-a-port"}
    result = _cli(env, "stack", "status")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "FASTTRADING_PG_PORT" in result.stderr
