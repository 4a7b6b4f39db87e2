"""The notifications HTTP app: `uvicorn notifications.main:app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from attendance_common.web import create_service_app
from notifications.api import router
from notifications.settings import Settings
from notifications.updates.api import router as updates_router

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Attendance notifications",
        routers=[router, updates_router],
        migrations=MIGRATIONS,
    )


app = create_app()
