"""Registers settings: `REGISTERS_*` plus the shared variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from attendance_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTERS_", extra="ignore", populate_by_name=True)

    service: str = "registers"
    max_marks_per_request: int = 10_000
    marks_per_event: int = 1_000
