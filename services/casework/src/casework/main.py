"""The casework HTTP app: `uvicorn casework.main:app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from attendance_common.web import create_service_app
from casework.api import router
from casework.plan_reminders import Clock
from casework.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """`clock`: what the scheduled jobs run through the API take as now (tests inject one)."""
    app = create_service_app(
        settings or Settings(), title="Attendance casework", routers=[router], migrations=MIGRATIONS
    )
    app.state.clock = clock
    return app


app = create_app()
