"""Settings for every outside service, read from `FASTTRADING_*` environment variables.

Each component has one frozen class; entry points build them once (`load(KafkaSettings)`) and pass
them down. `load` turns pydantic's validation report into one line that names the variable, so a
typo in the environment is fixed in seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.errors import SettingsError


class KafkaSettings(BaseSettings):
    """The broker: reused when one answers at `host:port`, otherwise started by `fasttrading stack`."""

    model_config = SettingsConfigDict(env_prefix="FASTTRADING_KAFKA_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int = 9093
    version: str = "4.1.0"
    heap_mb: int = 512
    metadata_timeout_s: float = 60.0

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"


class PostgresSettings(BaseSettings):
    """The database: reused when it answers at `host:port`, otherwise a local cluster is started."""

    model_config = SettingsConfigDict(env_prefix="FASTTRADING_PG_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 5433
    user: str = "fasttrading"
    password: str = "fasttrading"
    database: str = "fasttrading"
    pool_min_size: int = 1
    pool_max_size: int = 8

    @property
    def conninfo(self) -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"password={self.password} dbname={self.database}"
        )


class RedisSettings(BaseSettings):
    """Hot data and pub/sub: reused when it answers at `host:port`, otherwise started locally."""

    model_config = SettingsConfigDict(env_prefix="FASTTRADING_REDIS_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 6380
    db: int = 0

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.db}"


class StackSettings(BaseSettings):
    """Where the local stack keeps its data (`state_dir`) and downloads (`cache_dir`)."""

    model_config = SettingsConfigDict(env_prefix="FASTTRADING_", frozen=True)

    env: Literal["dev", "test", "prod"] = "dev"
    state_dir: Path = Path(".fasttrading")
    cache_dir: Path = Path.home() / ".cache" / "fasttrading"


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load(settings_class: type[SettingsT]) -> SettingsT:
    """Build `settings_class` from the environment, or raise `SettingsError` naming the variable."""
    try:
        return settings_class()
    except ValidationError as exc:
        prefix = settings_class.model_config.get("env_prefix", "")
        first = exc.errors()[0]
        field = "_".join(str(part) for part in first["loc"])
        raise SettingsError(
            f"{prefix}{field.upper()}: {first['msg']} (got {first.get('input')!r})"
        ) from None
