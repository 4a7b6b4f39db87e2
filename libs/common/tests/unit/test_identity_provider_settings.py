"""Production trusts the identity provider's tokens; HS256 and the development secret only when allowed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from attendance_common.auth.tokens import DEVELOPMENT_JWT_SECRET
from attendance_common.settings import ServiceSettings

POSTGRES_URL = "postgresql://attendance@db.internal:5432/registers"
PROVIDER = {
    "jwt_jwks_url": "https://login.example.gov.uk/.well-known/jwks.json",
    "jwt_issuer": "https://login.example.gov.uk/",
    "jwt_audience": "attendance-api",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ATTENDANCE_ENV", "ATTENDANCE_JWT_SECRET", "ATTENDANCE_JWT_ALLOW_HS256"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ATTENDANCE_JWT_JWKS_URL", "ATTENDANCE_JWT_ISSUER", "ATTENDANCE_JWT_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)


def production(**values: Any) -> ServiceSettings:
    return ServiceSettings(environment="production", database_url=POSTGRES_URL, **values)


def test_production_with_an_identity_provider_refuses_hs256_and_ignores_the_development_secret():
    settings = production(**PROVIDER)

    assert not settings.hs256_allowed
    assert settings.jwt_secret == DEVELOPMENT_JWT_SECRET  # never used: HS256 is off


def test_production_without_an_identity_provider_or_hs256_refuses_to_start():
    with pytest.raises(ValidationError, match="HS256 is not allowed and no ATTENDANCE_JWT_JWKS_URL"):
        production()


def test_production_allowing_hs256_still_refuses_the_development_secret():
    with pytest.raises(ValidationError, match="development default"):
        production(jwt_allow_hs256=True, **PROVIDER)


def test_production_allowing_hs256_explicitly_accepts_a_strong_secret():
    settings = production(jwt_allow_hs256=True, jwt_secret="s" * 40)

    assert settings.hs256_allowed


@pytest.mark.parametrize("missing", ["jwt_issuer", "jwt_audience"])
def test_a_jwks_url_needs_an_issuer_and_an_audience(missing):
    values = {key: value for key, value in PROVIDER.items() if key != missing}
    with pytest.raises(ValidationError, match="needs ATTENDANCE_JWT_ISSUER and ATTENDANCE_JWT_AUDIENCE"):
        ServiceSettings(**values)


def test_production_needs_an_https_jwks_url():
    with pytest.raises(ValidationError, match="must be https"):
        production(**{**PROVIDER, "jwt_jwks_url": "http://login.example.gov.uk/jwks"})


def test_development_allows_hs256_by_default_and_can_turn_it_off():
    assert ServiceSettings().hs256_allowed
    assert not ServiceSettings(jwt_allow_hs256=False, **PROVIDER).hs256_allowed


def test_the_identity_provider_is_read_from_shared_variables(monkeypatch):
    monkeypatch.setenv("ATTENDANCE_JWT_JWKS_URL", PROVIDER["jwt_jwks_url"])
    monkeypatch.setenv("ATTENDANCE_JWT_ISSUER", PROVIDER["jwt_issuer"])
    monkeypatch.setenv("ATTENDANCE_JWT_AUDIENCE", PROVIDER["jwt_audience"])
    monkeypatch.setenv("ATTENDANCE_JWT_ALLOW_HS256", "false")

    settings = ServiceSettings()

    assert (settings.jwt_jwks_url, settings.jwt_issuer, settings.jwt_audience) == tuple(PROVIDER.values())
    assert not settings.hs256_allowed
