"""The FastAPI app factory every service uses: errors, probes, metrics, traces, database, migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi_offline import FastAPIOffline

from attendance_common.audit import AuditTrail
from attendance_common.audit.api import audit_router
from attendance_common.clock import Clock, now_utc
from attendance_common.db import Database
from attendance_common.errors import install_error_handlers
from attendance_common.health import health_router
from attendance_common.idempotency import IdempotentReplay
from attendance_common.limits import install_limits
from attendance_common.logging import configure_logging
from attendance_common.metrics import metrics_router
from attendance_common.migrations import upgrade_database
from attendance_common.outage import install_outage_handlers
from attendance_common.runtime import tune_gc
from attendance_common.settings import ServiceSettings
from attendance_common.telemetry import RequestLatency, untraced
from attendance_common.tracing import configure_tracing

log = structlog.get_logger(__name__)


def app_settings(request: Request) -> ServiceSettings:
    """FastAPI dependency: the app's settings (a service annotates it with its own Settings class)."""
    settings: ServiceSettings = request.app.state.settings
    return settings


def app_now(request: Request) -> datetime:
    """FastAPI dependency: the time by the app's clock (`app.state.clock`, injected by tests of
    work driven by the clock), else the system's."""
    clock: Clock = getattr(request.app.state, "clock", None) or now_utc
    return clock()


NowDep = Annotated[datetime, Depends(app_now)]
T = TypeVar("T")


def made_or_found(response: Response, result: tuple[T, bool], *, made: int = 201) -> T:
    """The body of a use case that either made something (status `made`: 201 Created, or 202
    Accepted for work it started) or found it made before (200): `result` is (body, made)."""
    body, was_made = result
    response.status_code = made if was_made else 200
    return body


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter],
    migrations: Path | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """A service's HTTP app. `app.state` holds `settings`, `database` and `jwt_secret` for dependencies."""
    configure_logging(
        settings.service, level=settings.log_level, json=settings.log_json, access_log=settings.access_log
    )
    configure_tracing(settings.service, settings.otel_exporter_otlp_endpoint)

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        if migrations is not None and settings.migrate_on_start:
            await asyncio.to_thread(upgrade_database, migrations, settings.resolved_database_url)
        database = Database(settings.resolved_database_url)
        app.state.database = database
        # The database only: an API writes events to its outbox, so a broker outage delays them (watch
        # outbox_backlog and consumer_lag) but must not take the API out of its Service.
        app.state.readiness_checks = {"database": database.ping}
        tune_gc()
        log.info("api_started", service=settings.service)
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            await database.dispose()

    # FastAPI's native OpenTelemetry support makes each request's span (and its operation spans).
    # FastAPIOffline serves /docs and /redoc with their scripts from the package, not a CDN, so they
    # work offline and behind a school's web filter.
    app = FastAPIOffline(title=title, version="1.0.0", lifespan=run, telemetry={"exclude": untraced})
    app.state.settings = settings
    app.state.jwt_secret = settings.jwt_secret
    install_error_handlers(app)
    install_outage_handlers(app)
    install_limits(app, settings)
    app.add_middleware(AuditTrail)
    app.add_middleware(IdempotentReplay)
    app.add_middleware(RequestLatency, service=settings.service)
    app.include_router(index_router(settings.service))
    app.include_router(health_router())
    app.include_router(metrics_router())
    for router in routers:
        app.include_router(router)
    app.include_router(audit_router())
    return app


def index_router(service: str) -> APIRouter:
    """`GET /`: which service this is, and where its docs, OpenAPI document and metrics are."""
    router = APIRouter(tags=["health"])

    @router.get("/", include_in_schema=False)
    async def index(request: Request) -> dict[str, object]:
        app, root = request.app, request.scope.get("root_path", "")
        paths = {"docs": "/docs", "redoc": "/redoc", "openapi": app.openapi_url, "metrics": "/metrics"}
        paths |= {"health": "/healthz", "ready": "/readyz"}
        return {
            "name": app.title,
            "service": service,
            "version": app.version,
            "links": {name: f"{root}{path}" for name, path in paths.items()},
        }

    return router
