"""Registers settings: `REGISTERS_*` plus the shared variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from attendance_common.bounds import MARKS
from attendance_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTERS_", extra="ignore", populate_by_name=True)

    service: str = "registers"
    max_marks_per_request: int = 10_000
    # An event carries at most MARKS marks (its model refuses more): a larger setting would fail every batch.
    marks_per_event: int = Field(default=1_000, ge=1, le=MARKS)
