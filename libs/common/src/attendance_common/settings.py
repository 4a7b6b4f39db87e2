"""Settings shared by every service, read from the environment (the only place that reads it)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from attendance_common.devtoken import DEFAULT_MAX_LIFETIME_SECONDS, DEVELOPMENT_JWT_SECRET


class ServiceSettings(BaseSettings):
    """Base for a service's settings: subclass it with `env_prefix="<SERVICE>_"` and a `service` name.

    Shared variables (api.md "Running it") keep their own names whatever the prefix.
    """

    # An empty variable counts as unset (compose passes `${VAR:-}` through as ""), so an optional
    # setting left blank keeps its default.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, env_ignore_empty=True)

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
    # Tokens from an identity provider (RS256/ES256, keys from its JWKS URL). `iss` and `aud` are
    # checked on every token, HS256 included, against the issuer and audience (each when set).
    jwt_jwks_url: str | None = Field(default=None, validation_alias="ATTENDANCE_JWT_JWKS_URL")
    jwt_issuer: str | None = Field(default=None, validation_alias="ATTENDANCE_JWT_ISSUER")
    jwt_audience: str | None = Field(default=None, validation_alias="ATTENDANCE_JWT_AUDIENCE")
    # The longest a token may live (`exp - iat`, `iat` then required). Production, or with an identity
    # provider: an hour unless set.
    # Elsewhere only when set, so a development stack accepts tokens of api.md's claims (`sub`, `role`,
    # `exp`) as any client mints them.
    jwt_max_lifetime_seconds: int | None = Field(
        default=None, gt=0, validation_alias="ATTENDANCE_JWT_MAX_LIFETIME_SECONDS"
    )
    # HS256 with the shared secret: allowed outside production unless set false; in production only
    # when set true (e.g. a deployment without an identity provider yet).
    jwt_allow_hs256: bool | None = Field(default=None, validation_alias="ATTENDANCE_JWT_ALLOW_HS256")
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
    # Limits (limits.py): request body bytes (a 10,000-mark batch is about 1.5 MB), and writes per
    # caller (`sub`): `write_burst` at once, refilled at `write_rate_per_second`; 0 turns it off.
    max_request_bytes: int = 8 * 1024 * 1024
    write_rate_per_second: float = Field(default=50, validation_alias="ATTENDANCE_WRITE_RATE_PER_SECOND")
    write_burst: int = Field(default=1000, validation_alias="ATTENDANCE_WRITE_BURST")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(default=True, validation_alias="LOG_JSON")
    # A line per HTTP request: on in the production images (Dockerfile), off by default and under
    # `make run`, where they drowned everything else.
    access_log: bool = Field(default=False, validation_alias="ATTENDANCE_ACCESS_LOG")
    migrate_on_start: bool = True
    consumer_max_attempts: int = 4
    consumer_backoff_seconds: float = 0.2
    # An outage-like error (consumer.is_transient) that repeats identically this many times in a
    # row while the database answers is the event's own fault: it goes to the DLQ.
    consumer_max_transient_repeats: int = 20
    relay_batch_size: int = 500
    # The outbox relay wakes when rows commit (PostgreSQL NOTIFY) and looks anyway this often; it
    # polls every relay_poll_seconds where it cannot listen (SQLite, or the listener reconnecting).
    relay_poll_seconds: float = 0.05
    relay_idle_poll_seconds: float = 1.0
    # SIGTERM: how long a worker lets its consumers finish their batch and its relay flush before
    # cancelling them (keep it under the orchestrator's grace period, e.g. Kubernetes' 30 s).
    shutdown_seconds: float = 20
    # A worker serves Prometheus metrics on this port when set (`<SERVICE>_WORKER_METRICS_PORT`);
    # APIs always serve theirs at /metrics on the API port.
    worker_metrics_port: int | None = None
    # All interfaces in a container (Prometheus scrapes the pod); `make run` keeps it on loopback.
    worker_metrics_host: str = "0.0.0.0"
    # Traces are exported by OTLP/HTTP only when this is set (the standard OpenTelemetry variable).
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def token_max_lifetime(self) -> int | None:
        """The cap on `exp - iat` (which makes `iat` required), or None: no cap, `iat` optional."""
        if self.jwt_max_lifetime_seconds is not None:
            return self.jwt_max_lifetime_seconds
        # Tokens from an identity provider always carry `iat`; a development stack's may not.
        return DEFAULT_MAX_LIFETIME_SECONDS if self.is_production or self.jwt_jwks_url else None

    @property
    def hs256_allowed(self) -> bool:
        """Whether tokens signed with the shared HS256 secret are accepted."""
        return self.jwt_allow_hs256 if self.jwt_allow_hs256 is not None else not self.is_production

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under the data directory (the embedded default)."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service}.db').resolve()}"

    @model_validator(mode="after")
    def refuse_development_secrets_in_production(self) -> ServiceSettings:
        if self.jwt_jwks_url and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError(
                "ATTENDANCE_JWT_JWKS_URL needs ATTENDANCE_JWT_ISSUER and ATTENDANCE_JWT_AUDIENCE"
            )
        if not self.hs256_allowed and not self.jwt_jwks_url:
            raise ValueError(
                "HS256 is not allowed and no ATTENDANCE_JWT_JWKS_URL is set: no token could verify"
            )
        if self.is_production and self.jwt_jwks_url and not self.jwt_jwks_url.startswith("https://"):
            raise ValueError("ATTENDANCE_JWT_JWKS_URL must be https in production")
        if self.is_production and self.hs256_allowed:
            if self.jwt_secret == DEVELOPMENT_JWT_SECRET:
                raise ValueError("ATTENDANCE_JWT_SECRET is the development default: production needs its own")
            if len(self.jwt_secret.encode()) < 32:
                raise ValueError("ATTENDANCE_JWT_SECRET must be at least 32 bytes in production")
        if self.is_production and (not self.database_url or self.database_url.startswith("sqlite")):
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
    # Workers' metrics: on these ports when set, else on free ones; either way written to
    # `stack_file` for `make status`.
    registers_worker_metrics_port: int | None = None
    alerts_worker_metrics_port: int | None = None
    casework_worker_metrics_port: int | None = None
    notifications_worker_metrics_port: int | None = None

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def worker_metrics_port_of(self, service: str) -> int | None:
        port = getattr(self, f"{service}_worker_metrics_port")
        return None if port is None else int(port)

    @property
    def stack_file(self) -> Path:
        """Where a running `make run` says what it serves (read by `make status`)."""
        return self.data_dir / "stack.json"
