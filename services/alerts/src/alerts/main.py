"""The alerts HTTP app: `uvicorn alerts.main:app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from alerts.api import router
from alerts.settings import Settings
from attendance_common.web import create_service_app

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(), title="Attendance alerts", routers=[router], migrations=MIGRATIONS
    )


app = create_app()
