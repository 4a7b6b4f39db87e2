"""Request limits every service applies: body size (413), no NUL characters (400) and a write rate per
caller (429 + Retry-After).

The rate limiter is in-process token buckets keyed by the token's `sub`: each API replica limits on its
own, so the effective limit is the setting times the replicas. That is enough to stop a runaway client;
a shared limit belongs in the ingress.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attendance_common.errors import (
    AppError,
    BadRequest,
    CodedHTTPException,
    PayloadTooLarge,
    TooManyRequests,
    problem_response,
)
from attendance_common.settings import ServiceSettings


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge("request_too_large", f"the request body is larger than {max_bytes} bytes")


_NUL_DETAIL = "NUL characters are not allowed in a request"
_NUL_IN_JSON = (b"\x00", b"\\u0000")


class BodyLimit:
    """Refuses a body over `max_bytes` (413), at once by its Content-Length or as it streams in, and a
    NUL character in the path, query or body (400): PostgreSQL cannot store one in text, and no field
    of ours has a use for it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            response = problem_response(
                refusal.status, refusal.code, refusal.title, refusal.detail, scope["path"]
            )
            await response(scope, receive, send)
            return
        received, tail = 0, b""

        async def counted() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                # An HTTPException, as FastAPI re-raises only that from reading the body (any other
                # error becomes its 400); the app's handler renders it as a problem.
                if self.max_bytes > 0 and received > self.max_bytes:
                    raise CodedHTTPException(413, "request_too_large", _too_large(self.max_bytes).detail)
                window = tail + chunk
                if any(nul in window for nul in _NUL_IN_JSON):
                    raise CodedHTTPException(400, "nul_character", _NUL_DETAIL)  # as in the path
                tail = window[-5:]
            return message

        await self.app(scope, counted, send)

    def _refusal(self, scope: Scope) -> AppError | None:
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            return BadRequest("nul_character", _NUL_DETAIL)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if self.max_bytes > 0 and declared.isdigit() and int(declared) > self.max_bytes:
            return _too_large(self.max_bytes)
        return None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class WriteRateLimiter:
    """A token bucket per caller: `burst` writes at once, refilled at `per_second`."""

    per_second: float
    burst: int
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    max_callers: int = 100_000

    def check(self, caller: str, now: float | None = None) -> None:
        """Take a token for `caller`, or raise TooManyRequests saying when one will be there."""
        if self.per_second <= 0:
            return
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(caller)
        if bucket is None:
            if len(self.buckets) >= self.max_callers:
                self._forget_full(now)
            bucket = self.buckets[caller] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return
        wait = math.ceil((1 - bucket.tokens) / self.per_second)
        raise TooManyRequests(
            "rate_limited", f"too many writes from this caller: retry in {wait} s", retry_after=wait
        )

    def _forget_full(self, now: float) -> None:
        """Drop callers whose bucket has refilled: they are indistinguishable from new ones."""
        refill = self.burst / self.per_second
        self.buckets = {k: b for k, b in self.buckets.items() if now - b.updated < refill}


def install_limits(app: FastAPI, settings: ServiceSettings) -> None:
    """The body-size middleware and the write-rate limiter `get_principal` consults."""
    app.state.write_rate_limiter = WriteRateLimiter(settings.write_rate_per_second, settings.write_burst)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
