"""Running the API: `serve` in this process (blocking, what `fasttrading api` does) or `spawn` as a
child process that `fasttrading up` and the tests supervise.

Both run uvicorn on the app factory `api.main:create_app`, so every worker builds its settings from
the environment (`FASTTRADING_API_*`, and the Kafka/PostgreSQL/Redis variables).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import httpx
import uvicorn

from connectors.settings import ApiSettings, load

APP = "api.main:create_app"


def uvicorn_args(host: str, port: int, workers: int) -> list[str]:
    return ["--factory", APP, "--host", host, "--port", str(port), "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning", "--timeout-graceful-shutdown", "5"]


def serve(settings: ApiSettings | None = None) -> None:
    """Serve until SIGINT/SIGTERM in this process."""
    settings = settings or load(ApiSettings)
    uvicorn.run(APP, factory=True, host=settings.host, port=settings.port, workers=settings.workers,
                loop="uvloop", http="httptools", access_log=False, log_level="warning",
                timeout_graceful_shutdown=5)


@dataclass
class ApiProcess:
    process: subprocess.Popen
    url: str  # http://host:port

    def stop(self, timeout_s: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def spawn(env: Mapping[str, str] | None = None, *, log_path: Path | None = None,
          ready_timeout_s: float = 30.0) -> ApiProcess:
    """Start uvicorn as a child process with `env` over this process's environment; returns once
    `/health` answers. Raises RuntimeError (with the log's end) if it exits or does not answer."""
    full_env = {**os.environ, **(env or {})}
    host, port = full_env.get("FASTTRADING_API_HOST", "127.0.0.1"), int(full_env.get("FASTTRADING_API_PORT", "8000"))
    workers = int(full_env.get("FASTTRADING_API_WORKERS", "1"))
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", *uvicorn_args(host, port, workers)], env=full_env,
                               stdout=log, stderr=subprocess.STDOUT if log_path else subprocess.DEVNULL)
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with {process.returncode}" + _log_end(log_path))
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return ApiProcess(process, url)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    ApiProcess(process, url).stop()
    raise RuntimeError(f"the API did not answer at {url} within {ready_timeout_s}s" + _log_end(log_path))


def _log_end(log_path: Path | None) -> str:
    if log_path is None or not log_path.exists():
        return ""
    return ":\n" + "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
