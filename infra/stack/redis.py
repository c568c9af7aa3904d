"""Redis for hot data: `redis-server` on loopback with its append-only file in the state directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import redis

from connectors.redis.client import make_redis
from connectors.settings import RedisSettings, StackSettings
from infra.stack import process
from infra.stack.errors import StackError
from infra.stack.health import Health, wait_until_up

NAME = "redis"


def _home(stack: StackSettings) -> Path:
    return (stack.state_dir / NAME).resolve()


def _pidfile(stack: StackSettings) -> Path:
    return _home(stack) / "redis.pid"


def log_path(stack: StackSettings) -> Path:
    return _home(stack) / "redis.log"


def health(settings: RedisSettings, stack: StackSettings) -> Health:
    address = f"{settings.host}:{settings.port}"
    pid = process.running_pid(_pidfile(stack))
    try:
        client = make_redis(settings, timeout_s=1.0)
        client.ping()
        version = client.info("server")["redis_version"]
    except redis.RedisError as exc:
        return Health(NAME, False, address, pid=pid, detail=str(exc)[:80])
    return Health(NAME, True, address, version, pid)


def start(settings: RedisSettings, stack: StackSettings) -> Health:
    current = health(settings, stack)
    if current.up:
        return current
    if current.pid is None:
        server = shutil.which("redis-server")
        if server is None:
            raise StackError(
                "redis-server is not installed: apt-get install redis-server, "
                "or point FASTTRADING_REDIS_HOST/FASTTRADING_REDIS_PORT at a running server"
            )
        _home(stack).mkdir(parents=True, exist_ok=True)
        process.spawn(
            [server, "--bind", settings.host, "--port", str(settings.port), "--dir", str(_home(stack)),
             "--appendonly", "yes", "--save", "", "--daemonize", "no", "--protected-mode", "yes"],
            pidfile=_pidfile(stack), log_path=log_path(stack),
        )
    return wait_until_up(lambda: health(settings, stack), timeout_s=15, poll_s=0.1, log=log_path(stack))


def stop(settings: RedisSettings, stack: StackSettings) -> bool:
    return process.stop_by_pidfile(_pidfile(stack), timeout_s=15)
