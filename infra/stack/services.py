"""The stack as one unit: its settings, and up / status / down over every service in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.settings import KafkaSettings, PostgresSettings, RedisSettings, StackSettings, load
from infra.stack import kafka, postgres, redis
from infra.stack.health import Health


@dataclass(frozen=True, slots=True)
class StackConfig:
    stack: StackSettings
    kafka: KafkaSettings
    postgres: PostgresSettings
    redis: RedisSettings

    @classmethod
    def from_env(cls) -> StackConfig:
        return cls(load(StackSettings), load(KafkaSettings), load(PostgresSettings), load(RedisSettings))


SERVICE_NAMES = (kafka.NAME, postgres.NAME, redis.NAME)


def up(config: StackConfig) -> list[Health]:
    """Start (or reuse) every service; idempotent. Raises `StackError` on the first that fails."""
    config.stack.state_dir.mkdir(parents=True, exist_ok=True)
    return [
        redis.start(config.redis, config.stack),
        postgres.start(config.postgres, config.stack),
        kafka.start(config.kafka, config.stack),
    ]


def status(config: StackConfig) -> list[Health]:
    return [
        kafka.health(config.kafka, config.stack),
        postgres.health(config.postgres, config.stack),
        redis.health(config.redis, config.stack),
    ]


def down(config: StackConfig) -> list[str]:
    """Stop what this stack started (by pid); returns the names it stopped. External ones stay up."""
    stopped = []
    if kafka.stop(config.kafka, config.stack):
        stopped.append(kafka.NAME)
    if postgres.stop(config.postgres, config.stack):
        stopped.append(postgres.NAME)
    if redis.stop(config.redis, config.stack):
        stopped.append(redis.NAME)
    return stopped


def log_path(config: StackConfig, service: str) -> Path:
    return {
        kafka.NAME: kafka.log_path,
        postgres.NAME: postgres.log_path,
        redis.NAME: redis.log_path,
    }[service](config.stack)
