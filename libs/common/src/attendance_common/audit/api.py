"""`GET /v1/audit`: the service's audit log for admins, filtered, oldest first, in cursor pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from attendance_common.auth import Principal, require_roles
from attendance_common.db import SessionDep
from attendance_common.errors import BadRequest, Unprocessable
from attendance_common.identifiers import compact_upn
from attendance_common.pagination import After, Limit, decode_cursor, encode_cursor

from .models import AuditEntry
from .recording import note_pupils

Admin = Annotated[Principal, Depends(require_roles())]


class AuditEntryOut(BaseModel):
    id: int
    at: dt.datetime
    sub: str
    role: str
    name: str | None
    action: str
    method: str
    resource: str
    path: str
    school_urn: str | None
    upn: str | None
    status: int
    client_ip: str | None
    forwarded_for: str | None


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next: str | None


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["audit"])

    @router.get("/audit", response_model=AuditOut)
    async def list_audit(
        session: SessionDep,
        principal: Admin,
        upn: str | None = None,
        school: str | None = None,
        sub: str | None = None,
        action: Literal["read", "change"] | None = None,
        since: Annotated[dt.datetime | None, Query(alias="from")] = None,
        until: Annotated[dt.datetime | None, Query(alias="to")] = None,
        limit: Limit = 100,
        after: After = None,
    ) -> AuditOut:
        """Who read or changed pupils' data here (admins only): by pupil, school, caller, action, time."""
        query = select(AuditEntry)
        upn = compact_upn(upn) if upn else upn  # as entries record it, whatever the caller's spelling
        for column, value in ((AuditEntry.upn, upn), (AuditEntry.school_urn, school), (AuditEntry.sub, sub)):
            if value is not None:
                query = query.where(column == value)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if since is not None:
            query = query.where(AuditEntry.at >= _aware(since))
        if until is not None:
            query = query.where(AuditEntry.at < _aware(until))
        if after:
            query = query.where(AuditEntry.id > _position(after))
        rows = list(await session.scalars(query.order_by(AuditEntry.id).limit(limit + 1)))
        page = rows[:limit]
        cursor = encode_cursor(page[-1].id) if len(rows) > limit else None
        note_pupils((entry.school_urn, entry.upn) for entry in page if entry.upn)
        return AuditOut(
            entries=[AuditEntryOut.model_validate(r, from_attributes=True) for r in page], next=cursor
        )

    return router


def _aware(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; 422 when that falls outside the years a datetime holds (9999-12-31T23:00-02:00)."""
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except OverflowError as error:
        raise Unprocessable("bad_time", f"{moment.isoformat()} is out of range in UTC") from error


def _position(after: str) -> int:
    values = decode_cursor(after)
    if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out")
    return int(values[0])
