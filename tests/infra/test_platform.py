"""`fasttrading up`, the main job, on its own ports and state directory: everything comes up and
trades, a part killed with SIGKILL is started again, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from infra.sandbox import FASTTRADING
from tests.isolation import isolated_env, processes_using


@pytest.fixture
def platform_env(tmp_path):
    env = isolated_env(tmp_path / "state")
    yield env
    subprocess.run([FASTTRADING, "down"], env=env, capture_output=True)


def _wait(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if result := condition():
                return result
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(what)


def test_up_runs_every_part_heals_a_killed_flow_and_stops_on_ctrl_c(platform_env, tmp_path):
    state_dir = Path(platform_env["FASTTRADING_STATE_DIR"]).resolve()
    api = f"http://127.0.0.1:{platform_env['FASTTRADING_API_PORT']}/api/v1"
    log = open(tmp_path / "up.log", "wb")
    up = subprocess.Popen([FASTTRADING, "up"], env=platform_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # the simulator's orders reach the books and become trades, served by the API
        _wait(lambda: httpx.get(f"{api}/market/prices", timeout=2).json()["count"] > 0, 180, "no trade price")
        _wait(lambda: all(httpx.get(f"{api}/orders/book/BTC-USDT", timeout=2).json()[side] for side in ("bids", "asks")),
              60, "no two-sided book")

        ledger_pid = int((state_dir / "run" / "ledger.pid").read_text())
        os.kill(ledger_pid, signal.SIGKILL)
        _wait(lambda: int((state_dir / "run" / "ledger.pid").read_text()) != ledger_pid, 30, "ledger not restarted")
        assert "ledger had stopped; started it again" in (tmp_path / "up.log").read_text()

        up.send_signal(signal.SIGINT)
        assert up.wait(120) == 0
    finally:
        if up.poll() is None:
            up.kill()
    assert processes_using(state_dir) == []
    assert "stopped: simulator, api, clock, projections, matching, ledger, kafka, postgres, redis" in (
        tmp_path / "up.log").read_text()
