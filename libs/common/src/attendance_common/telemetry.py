"""ASGI middleware: a Prometheus latency observation for every HTTP request, by route template.

The request's span is FastAPI's own (its native OpenTelemetry support, on once `tracing` has
installed a tracer provider). This adds only the histogram, as plain ASGI rather than
`BaseHTTPMiddleware`, so a 10,000-mark POST pays one observation and nothing else. The route
label is the template FastAPI matched (`/v1/schools/{urn}/marks`), read after routing; a path
no route matched is `unmatched`, so scanners cannot grow the label set.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attendance_common.metrics import HTTP_REQUEST_SECONDS

# Probes and scrapes come every few seconds: no trace for them (they still count in the histogram).
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def untraced(scope: MutableMapping[str, Any]) -> bool:
    """FastAPI's `telemetry={"exclude": ...}` hook."""
    return scope.get("path") in UNTRACED_PATHS


class RequestLatency:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app dies before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            HTTP_REQUEST_SECONDS.labels(self.service, scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )
