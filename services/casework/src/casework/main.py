"""The casework HTTP app: `uvicorn casework.main:app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from attendance_common.web import create_service_app
from casework.api import router
from casework.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(), title="Attendance casework", routers=[router], migrations=MIGRATIONS
    )


app = create_app()
