"""Service settings: environment variables, database URLs, and production refusing development secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from attendance_common.auth.tokens import DEVELOPMENT_JWT_SECRET
from attendance_common.settings import ServiceSettings, normalise_database_url

STRONG_SECRET = "a-production-secret-of-at-least-32-bytes-0123456789"
POSTGRES_URL = "postgresql://attendance@db.internal:5432/registers"

ENVIRONMENT_VARIABLES = (
    "ATTENDANCE_ENV",
    "ATTENDANCE_DATA_DIR",
    "ATTENDANCE_JWT_SECRET",
    "ATTENDANCE_JWT_ALLOW_HS256",
    "ATTENDANCE_JWT_JWKS_URL",
    "ATTENDANCE_JWT_ISSUER",
    "ATTENDANCE_JWT_AUDIENCE",
    "KAFKA_BOOTSTRAP_SERVERS",
    "DATABASE_URL",
    "REGISTERS_DATABASE_URL",
    "ENVIRONMENT",
    "DATA_DIR",
    "JWT_SECRET",
    "SERVICE",
)


class RegistersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTERS_")

    service: str = "registers"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts from no settings in the environment, in an empty working directory."""
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_development_defaults_to_a_sqlite_file_named_after_the_service(tmp_path: Path) -> None:
    settings = RegistersSettings()

    expected = (tmp_path / ".data" / "registers.db").resolve()
    assert settings.environment == "development"
    assert not settings.is_production
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{expected}"


def test_default_sqlite_path_is_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENDANCE_DATA_DIR", "relative/data")

    url = RegistersSettings().resolved_database_url

    path = Path(url.removeprefix("sqlite+aiosqlite:///"))
    assert path.is_absolute()
    assert path.name == "registers.db"
    assert path.parent.name == "data"


def test_development_accepts_the_development_jwt_secret() -> None:
    assert RegistersSettings().jwt_secret == DEVELOPMENT_JWT_SECRET


def test_data_dir_is_read_from_attendance_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ATTENDANCE_DATA_DIR", str(tmp_path / "state"))

    settings = RegistersSettings()

    assert settings.data_dir == tmp_path / "state"
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/state/registers.db"


def test_jwt_secret_is_read_from_attendance_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENDANCE_JWT_SECRET", STRONG_SECRET)

    assert RegistersSettings().jwt_secret == STRONG_SECRET


def test_kafka_bootstrap_servers_is_read_without_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")

    assert RegistersSettings().kafka_bootstrap_servers == "broker-1:9092,broker-2:9092"


def test_environment_is_read_from_attendance_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENDANCE_ENV", "test")

    assert RegistersSettings().environment == "test"


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTENDANCE_ENV", "staging")

    with pytest.raises(ValidationError):
        RegistersSettings()


def test_service_database_url_is_read_with_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTERS_DATABASE_URL", POSTGRES_URL)

    settings = RegistersSettings()

    assert settings.database_url == POSTGRES_URL
    assert settings.resolved_database_url == "postgresql+asyncpg://attendance@db.internal:5432/registers"


def test_unprefixed_database_url_is_not_read_by_a_prefixed_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)

    assert RegistersSettings().database_url is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_database_urls_get_their_async_driver(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


def test_resolved_database_url_normalises_the_configured_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTERS_DATABASE_URL", "sqlite:///x.db")

    assert RegistersSettings().resolved_database_url == "sqlite+aiosqlite:///x.db"


def production(monkeypatch: pytest.MonkeyPatch, *, secret: str | None, url: str | None) -> None:
    monkeypatch.setenv("ATTENDANCE_ENV", "production")
    # These tests are about the shared secret, which production uses only when HS256 is allowed.
    monkeypatch.setenv("ATTENDANCE_JWT_ALLOW_HS256", "true")
    if secret is not None:
        monkeypatch.setenv("ATTENDANCE_JWT_SECRET", secret)
    if url is not None:
        monkeypatch.setenv("REGISTERS_DATABASE_URL", url)


def test_production_refuses_the_development_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, secret=None, url=POSTGRES_URL)

    with pytest.raises(ValidationError, match="ATTENDANCE_JWT_SECRET is the development default"):
        RegistersSettings()


def test_production_refuses_the_development_jwt_secret_set_explicitly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production(monkeypatch, secret=DEVELOPMENT_JWT_SECRET, url=POSTGRES_URL)

    with pytest.raises(ValidationError, match="development default"):
        RegistersSettings()


def test_production_refuses_a_jwt_secret_shorter_than_32_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, secret="x" * 31, url=POSTGRES_URL)

    with pytest.raises(ValidationError, match="at least 32 bytes"):
        RegistersSettings()


def test_production_accepts_a_jwt_secret_of_exactly_32_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, secret="x" * 32, url=POSTGRES_URL)

    assert RegistersSettings().is_production


def test_production_refuses_no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch, secret=STRONG_SECRET, url=None)

    with pytest.raises(ValidationError, match="PostgreSQL <SERVICE>_DATABASE_URL"):
        RegistersSettings()


@pytest.mark.parametrize("url", ["sqlite:///registers.db", "sqlite+aiosqlite:////var/lib/registers.db"])
def test_production_refuses_a_sqlite_database_url(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    production(monkeypatch, secret=STRONG_SECRET, url=url)

    with pytest.raises(ValidationError, match="not SQLite"):
        RegistersSettings()


@pytest.mark.parametrize("url", [POSTGRES_URL, "postgresql+asyncpg://attendance@db.internal/registers"])
def test_production_accepts_a_strong_secret_and_a_postgresql_url(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    production(monkeypatch, secret=STRONG_SECRET, url=url)

    settings = RegistersSettings()

    assert settings.is_production
    assert settings.jwt_secret == STRONG_SECRET
    assert settings.resolved_database_url.startswith("postgresql+asyncpg://")
