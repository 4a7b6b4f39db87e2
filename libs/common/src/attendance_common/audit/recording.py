"""Recording: every authenticated `/v1` request is audited before its answer goes out, one entry per
pupil the answer names, so the log answers "who saw pupil X" for list reads too.

`get_principal` names the caller on the request's note (a context variable holding a mutable note, so
what the route learns reaches this middleware); a use case names the pupils its answer shows with
`note_pupils` (a page of alerts, a family's case) when the path and query do not name them.

A successful answer whose entries cannot be written is replaced by a 503 `audit_unavailable`: personal
data never goes out unrecorded. A problem answer (4xx, 5xx) holds none and goes out as it is.
"""

from __future__ import annotations

import contextvars
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

import structlog
from sqlalchemy import Table, insert
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from attendance_common.clock import now_utc
from attendance_common.errors import problem_response
from attendance_common.identifiers import compact_upn

from .models import AuditEntry

if TYPE_CHECKING:
    from attendance_common.auth.principal import Principal

log = structlog.get_logger(__name__)

# A pupil as the log names one: (school URN or None, UPN).
PupilRef = tuple[str | None, str]

# Many rows, one statement: with RETURNING, SQLAlchemy sends an executemany INSERT as multi-row VALUES
# ("insertmanyvalues", up to 1,000 rows a statement) on PostgreSQL and SQLite alike; without it asyncpg
# would run the INSERT once per row.
_TABLE = cast(Table, AuditEntry.__table__)  # Core, not the ORM: it would split rows by which are None
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
RETRY_AFTER_SECONDS = 5


@dataclass
class _Note:
    principal: Principal | None = None
    pupils: dict[PupilRef, None] = field(default_factory=dict)  # ordered, without repeats


_note: contextvars.ContextVar[_Note | None] = contextvars.ContextVar("audit_note", default=None)


def note_principal(principal: Principal) -> None:
    """Called by `get_principal` once the caller is verified."""
    note = _note.get()
    if note is not None:
        note.principal = principal


def note_pupils(pupils: Iterable[PupilRef]) -> None:
    """Name the pupils, as (school URN, UPN), that the answer shows: each gets its own entry."""
    note = _note.get()
    if note is not None:
        note.pupils.update(dict.fromkeys(pupils))


def note_pupil(upn: str, school_urn: str | None = None) -> None:
    """Name the one pupil a request touched when its path and query do not."""
    note_pupils([(school_urn, upn)])


def _clip(value: str | None, size: int) -> str | None:
    return value.replace("\x00", "")[:size] if value else None


def _pupils(
    named_school: str | None, named_upn: str | None, noted: Collection[PupilRef]
) -> list[tuple[str | None, str | None]]:
    """The pupils to record: those noted, and the one the path or query names unless noted already.

    A UPN noted without a school is left out when it is also noted with one (a referral beside its
    pupil in a case). With no pupil at all, one entry names the school (or nothing)."""
    with_school = {upn for school, upn in noted if school}
    pupils: list[tuple[str | None, str | None]] = [
        (school, upn) for school, upn in noted if school or upn not in with_school
    ]
    if named_upn:
        upn = compact_upn(named_upn)
        if not any(known == upn for _, known in pupils):
            pupils.insert(0, (named_school, upn))
    if not pupils:
        return [(named_school, None)]
    return [(school or named_school, upn) for school, upn in pupils]


def entries_for(scope: Scope, note: _Note, status: int) -> list[dict[str, Any]]:
    """The audit rows of one answered request: one per pupil it names, sharing everything else."""
    assert note.principal is not None
    route = scope.get("route")
    params: dict[str, Any] = scope.get("path_params") or {}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    headers = dict(scope.get("headers") or [])
    client = scope.get("client")
    upn = params.get("upn") or (query.get("upn") or [None])[0]
    school = params.get("urn") or (query.get("school") or [None])[0]
    forwarded = headers.get(b"x-forwarded-for")
    common = {
        "at": now_utc(),
        "sub": note.principal.sub[:200],
        "role": note.principal.role.value,
        "name": _clip(note.principal.name, 200),
        "action": "read" if scope["method"] in ("GET", "HEAD") else "change",
        "method": scope["method"],
        "resource": _clip(getattr(route, "path", None), 300) or scope["path"][:300],
        "path": scope["path"][:500],
        "status": status,
        "client_ip": _clip(client[0] if client else None, 64),
        "forwarded_for": _clip(forwarded.decode("latin-1") if forwarded else None, 500),
    }
    return [
        {**common, "school_urn": _clip(pupil_school, 20), "upn": _clip(pupil_upn, 20)}
        for pupil_school, pupil_upn in _pupils(school, upn, note.pupils)
    ]


def _unavailable(path: str) -> Any:
    return problem_response(
        503,
        "audit_unavailable",
        "Service Unavailable",
        "The audit log could not record this request, so its answer is withheld. Try again shortly.",
        instance=path,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class AuditTrail:
    """ASGI middleware writing the entries of each authenticated `/v1` request, in their own
    transaction, before the answer starts; if they cannot be written, the answer is a 503 instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        note = _Note()
        token = _note.set(note)
        withheld = False

        async def send_after_recording(message: Message) -> None:
            nonlocal withheld
            if withheld:
                return  # the rest of an answer that was replaced by the 503
            starting = message["type"] == "http.response.start" and note.principal is not None
            if not starting:
                await send(message)
                return
            recorded = await self._recorded(scope, entries_for(scope, note, message["status"]))
            # A problem answer carries no personal data: it goes out as it is (a database outage stays
            # a 503 `database_unavailable`, not an audit one), its failed entry logged.
            if not recorded and message["status"] < 400:
                withheld = True
                await _unavailable(scope["path"])(scope, receive, send)
                return
            await send(message)

        try:
            await self.app(scope, receive, send_after_recording)
        finally:
            _note.reset(token)

    async def _recorded(self, scope: Scope, rows: list[dict[str, Any]]) -> bool:
        database = getattr(scope["app"].state, "database", None)
        if database is None:
            return True
        try:
            async with database.transaction() as session:
                await session.execute(_INSERT, rows)
        except Exception:
            log.exception("audit_write_failed", path=scope["path"], sub=rows[0]["sub"], entries=len(rows))
            return False
        return True
