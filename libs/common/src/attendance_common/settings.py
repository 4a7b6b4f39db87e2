"""Settings shared by every service, read from the environment (the only place that reads it)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from attendance_common.auth.tokens import DEVELOPMENT_JWT_SECRET


class ServiceSettings(BaseSettings):
    """Base for a service's settings: subclass it with `env_prefix="<SERVICE>_"` and a `service` name.

    Shared variables (api.md "Running it") keep their own names whatever the prefix.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service: str = "service"
    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="ATTENDANCE_ENV"
    )
    data_dir: Path = Field(default=Path(".data"), validation_alias="ATTENDANCE_DATA_DIR")
    database_url: str | None = None
    jwt_secret: str = Field(
        default=DEVELOPMENT_JWT_SECRET,
        validation_alias="ATTENDANCE_JWT_SECRET",
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
    )
    # Real Kafka refuses session timeouts under 6 s by default; tests against Tansu shorten
    # these so a consumer group forms in about two seconds.
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        validation_alias="KAFKA_SESSION_TIMEOUT_MS",
    )
    kafka_heartbeat_interval_ms: int = Field(
        default=1_000,
        validation_alias="KAFKA_HEARTBEAT_INTERVAL_MS",
    )
    kafka_rebalance_timeout_ms: int = Field(
        default=5_000,
        validation_alias="KAFKA_REBALANCE_TIMEOUT_MS",
    )
    kafka_enable_idempotence: bool = Field(
        default=False,
        validation_alias="KAFKA_ENABLE_IDEMPOTENCE",
    )
    kafka_request_timeout_ms: int = Field(default=30_000, validation_alias="KAFKA_REQUEST_TIMEOUT_MS")
    kafka_partitions: int = Field(default=6, validation_alias="KAFKA_PARTITIONS")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(default=True, validation_alias="LOG_JSON")
    migrate_on_start: bool = True
    consumer_max_attempts: int = 4
    consumer_backoff_seconds: float = 0.2
    relay_batch_size: int = 500
    relay_poll_seconds: float = 0.05

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under the data directory (the embedded default)."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service}.db').resolve()}"

    @model_validator(mode="after")
    def refuse_development_secrets_in_production(self) -> ServiceSettings:
        if self.is_production:
            if self.jwt_secret == DEVELOPMENT_JWT_SECRET:
                raise ValueError("ATTENDANCE_JWT_SECRET is the development default: production needs its own")
            if len(self.jwt_secret.encode()) < 32:
                raise ValueError("ATTENDANCE_JWT_SECRET must be at least 32 bytes in production")
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise ValueError("production needs a PostgreSQL <SERVICE>_DATABASE_URL, not SQLite")
        return self


def normalise_database_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite:///` URLs and give them their async drivers."""
    for plain, async_form in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return async_form + url[len(plain) :]
    return url


class StackSettings(BaseSettings):
    """What `make run` needs: ports (api.md "Running it"), the data folder and an external broker."""

    model_config = SettingsConfigDict(extra="ignore")

    registers_port: int = 8001
    alerts_port: int = 8002
    casework_port: int = 8003
    notifications_port: int = 8004
    broker_port: int = 9092
    host: str = Field(default="127.0.0.1", validation_alias="ATTENDANCE_HOST")
    data_dir: Path = Field(default=Path(".data"), validation_alias="ATTENDANCE_DATA_DIR")
    kafka_bootstrap_servers: str | None = None

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))
