"""`/healthz` (the process is alive) and `/readyz` (its database and broker answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[None]]


async def broker_reachable(bootstrap_servers: str, timeout: float = 2) -> None:
    """Raise unless at least one bootstrap server accepts a TCP connection."""
    errors = []
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
        except (OSError, TimeoutError, ValueError) as error:
            errors.append(f"{server}: {error!r}")
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise ConnectionError("; ".join(errors))


def health_router() -> APIRouter:
    """Probes read `app.state.readiness_checks`: a name -> async check that raises when not ready."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, Check] = getattr(request.app.state, "readiness_checks", {})
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=3)
                results[name] = "ok"
            except Exception as error:
                results[name] = f"unavailable: {type(error).__name__}"
        ready = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router
