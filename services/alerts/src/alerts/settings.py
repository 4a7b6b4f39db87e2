"""Alerts settings: `ALERTS_*` plus the shared variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from attendance_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ALERTS_", extra="ignore", populate_by_name=True)

    service: str = "alerts"
