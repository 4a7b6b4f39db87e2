"""The registers HTTP app: `uvicorn registers.main:app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from attendance_common.web import create_service_app
from registers.api import router
from registers.family_requests.api import router as family_router
from registers.pupil_lists_api import router as pupil_lists_router
from registers.reports.api import router as reports_router
from registers.roll_api import router as roll_router
from registers.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Attendance registers",
        routers=[router, pupil_lists_router, family_router, roll_router, reports_router],
        migrations=MIGRATIONS,
    )


app = create_app()
