"""Recording: every authenticated `/v1` request is an audit entry, written before its answer goes out.

`get_principal` names the caller on the request's note (a context variable holding a mutable note, so
what the route learns reaches this middleware); a use case may add the pupil it touched with
`note_pupil` when the path does not name one (e.g. an alert by id).
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attendance_common.clock import now_utc

from .models import AuditEntry

if TYPE_CHECKING:
    from attendance_common.auth.principal import Principal

log = structlog.get_logger(__name__)


@dataclass
class _Note:
    principal: Principal | None = None
    upn: str | None = None
    school_urn: str | None = None


_note: contextvars.ContextVar[_Note | None] = contextvars.ContextVar("audit_note", default=None)


def note_principal(principal: Principal) -> None:
    """Called by `get_principal` once the caller is verified."""
    note = _note.get()
    if note is not None:
        note.principal = principal


def note_pupil(upn: str, school_urn: str | None = None) -> None:
    """Name the pupil a request touched when its path and query do not."""
    note = _note.get()
    if note is not None:
        note.upn = note.upn or upn
        note.school_urn = note.school_urn or school_urn


def _clip(value: str | None, size: int) -> str | None:
    return value.replace("\x00", "")[:size] if value else None


def entry_for(scope: Scope, note: _Note, status: int) -> AuditEntry:
    assert note.principal is not None
    route = scope.get("route")
    params: dict[str, Any] = scope.get("path_params") or {}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    headers = dict(scope.get("headers") or [])
    client = scope.get("client")
    upn = params.get("upn") or (query.get("upn") or [None])[0] or note.upn
    school = params.get("urn") or (query.get("school") or [None])[0] or note.school_urn
    forwarded = headers.get(b"x-forwarded-for")
    return AuditEntry(
        at=now_utc(),
        sub=note.principal.sub[:200],
        role=note.principal.role.value,
        name=_clip(note.principal.name, 200),
        action="read" if scope["method"] in ("GET", "HEAD") else "change",
        method=scope["method"],
        resource=_clip(getattr(route, "path", None), 300) or scope["path"][:300],
        path=scope["path"][:500],
        school_urn=_clip(school, 20),
        upn=_clip(upn, 20),
        status=status,
        client_ip=_clip(client[0] if client else None, 64),
        forwarded_for=_clip(forwarded.decode("latin-1") if forwarded else None, 500),
    )


class AuditTrail:
    """ASGI middleware writing one entry per authenticated `/v1` request, in its own transaction."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        note = _Note()
        token = _note.set(note)

        async def send_after_recording(message: Message) -> None:
            if message["type"] == "http.response.start" and note.principal is not None:
                await self._record(scope, entry_for(scope, note, message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_after_recording)
        finally:
            _note.reset(token)

    async def _record(self, scope: Scope, entry: AuditEntry) -> None:
        database = getattr(scope["app"].state, "database", None)
        if database is None:
            return
        try:
            async with database.transaction() as session:
                session.add(entry)
        except Exception:
            # The answer still goes out; a failing audit write is an alertable error, not a silent one.
            log.exception("audit_write_failed", path=entry.path, sub=entry.sub)
