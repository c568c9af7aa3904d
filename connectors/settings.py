"""Settings for every outside service, read from `FASTTRADING_*` environment variables.

Each component has one frozen class; entry points build them once (`load(KafkaSettings)`) and pass
them down. `load` turns pydantic's validation report into one line that names the variable, so a
typo in the environment is fixed in seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
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
    topic_prefix: str = ""  # namespaces every topic, e.g. for an isolated pipeline in tests
    partitions: dict[str, int] = {}  # topic name -> partition count, overriding the registry (JSON)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def topic(self, name: str) -> str:
        """The broker-side name of a registry topic."""
        return f"{self.topic_prefix}{name}"


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


class FlowSettings(BaseSettings):
    """Bytewax runs: where recovery snapshots live and how often state is snapshotted."""

    model_config = SettingsConfigDict(env_prefix="FASTTRADING_FLOW_", frozen=True)

    recovery_dir: Path | None = None  # default: <state_dir>/recovery
    snapshot_interval_s: float = 10.0  # Bytewax's default epoch; a restart replays at most this much input
    recovery_partitions: int = 4
    batch_size: int = 2000  # Kafka messages one source poll may take


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


PLACEHOLDER_SECRET = "dev-only-secret-change-me-0000000000000000"


class ApiSettings(BaseSettings):
    """The HTTP/websocket API: where it listens, its signing secret, limits and dev conveniences.

    `env` is the platform-wide `FASTTRADING_ENV`. Outside dev the placeholder `secret_key` is refused
    (it signs JWTs and derives API-key secrets), and the faucet is off unless `faucet` says otherwise.
    """

    model_config = SettingsConfigDict(env_prefix="FASTTRADING_API_", frozen=True, populate_by_name=True)

    env: Literal["dev", "test", "prod"] = Field("dev", validation_alias=AliasChoices("env", "FASTTRADING_ENV"))
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    secret_key: str = PLACEHOLDER_SECRET
    jwt_ttl_s: int = 900
    hmac_window_ms: int = 5_000
    wallet_nonce_ttl_s: int = 300
    wait_timeout_ms: int = 2_000
    requests_per_min: int = 100  # per authenticated user
    ip_requests_per_min: int = 100  # per client address, for requests not (yet) authenticated
    orders_per_s: int = 10  # per account: place, cancel and amend
    max_body_bytes: int = 64 * 1024
    cors_origins: tuple[str, ...] = ("http://localhost:3000",)
    faucet: bool | None = None  # None: on in dev only
    faucet_max_units: int = 10**15  # per faucet request, in the asset's smallest units
    ws_queue_size: int = 256  # messages buffered per websocket client before it is dropped
    chain_id: int = 1

    @field_validator("secret_key")
    @classmethod
    def _refuse_placeholder_secret(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("env", "dev") != "dev" and value == PLACEHOLDER_SECRET:
            raise ValueError("the placeholder secret is for dev only; set a real secret")
        if len(value) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @property
    def faucet_enabled(self) -> bool:
        return self.env == "dev" if self.faucet is None else self.faucet
