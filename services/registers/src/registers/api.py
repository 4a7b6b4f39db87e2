"""Registers routes: parse, authorise, call the use case, render (api.md "Registers")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import CurrentPrincipal, Role
from attendance_common.clock import today_in_london
from attendance_common.db import DatabaseDep, SessionDep
from attendance_common.errors import PayloadTooLarge, Unprocessable
from attendance_common.idempotent_writes import request_key, write_once
from attendance_common.identifiers import IdentifierError, validate_upn, validate_urn
from attendance_common.metrics import count_marks
from attendance_common.web import app_settings
from registers import access, history, marks, pupils, schools, summaries
from registers.models import Pupil, School
from registers.schemas import (
    DeletionIn,
    HistoryOut,
    MarksIn,
    MarksOut,
    MarksResult,
    PupilAttendance,
    PupilIn,
    PupilOut,
    SchoolAttendance,
    SchoolIn,
    SchoolOut,
)
from registers.settings import Settings

router = APIRouter(prefix="/v1/schools", tags=["registers"])
SettingsDep = Annotated[Settings, Depends(app_settings)]
FromDate = Annotated[dt.date | None, Query(alias="from")]
ToDate = Annotated[dt.date | None, Query(alias="to")]


def _urn(urn: str) -> str:
    try:
        return validate_urn(urn)
    except IdentifierError as error:
        raise Unprocessable(error.error_code, error.message) from error


def _upn(upn: str) -> str:
    try:
        return validate_upn(upn)
    except IdentifierError as error:
        raise Unprocessable(error.error_code, error.message) from error


@router.put("/{urn}", response_model=SchoolOut, responses={201: {"model": SchoolOut}})
async def put_school(
    urn: str, body: SchoolIn, session: SessionDep, principal: CurrentPrincipal, response: Response
):
    """Register a school or update its details (201 created, 200 updated); new schools, LA and trust
    changes: admin."""
    urn = _urn(urn)
    await access.ensure_can_put_school(session, principal, urn, body)
    school, created = await schools.upsert_school(session, urn=urn, data=body)
    response.status_code = 201 if created else 200
    return schools.school_out(school)


@router.put("/{urn}/pupils/{upn}", response_model=PupilOut, responses={201: {"model": PupilOut}})
async def put_pupil(
    urn: str, upn: str, body: PupilIn, session: SessionDep, principal: CurrentPrincipal, response: Response
):
    """Put a pupil on roll or update their record (201 created, 200 updated). An invalid UPN is 422."""
    school = await access.school_for_write(session, principal, _urn(urn))
    pupil, created = await pupils.upsert_pupil(session, school=school, upn=_upn(upn), data=body)
    response.status_code = 201 if created else 200
    return pupils.pupil_out(pupil)


@router.get("/{urn}/pupils/{upn}", response_model=PupilOut)
async def get_pupil(urn: str, upn: str, session: SessionDep, principal: CurrentPrincipal):
    """The whole record (contacts, social worker): school staff, its MIS, its LA and admins only.

    Parents and social workers read attendance and marks, not other people's contact details.
    """
    school = await access.school_for_read(session, principal, urn)
    pupil = await access.get_pupil(session, school, _upn(upn))
    return pupils.pupil_out(pupil)


@router.post("/{urn}/pupils/{upn}/deletion", response_model=PupilOut)
async def delete_pupil(
    urn: str, upn: str, body: DeletionIn, session: SessionDep, principal: CurrentPrincipal
):
    """Delete a pupil from the admission register on a regulation 9 ground (never backdated)."""
    school = await access.school_for_write(session, principal, _urn(urn))
    pupil = await access.get_pupil(session, school, _upn(upn))
    await pupils.delete_pupil(session, school=school, pupil=pupil, data=body, today=today_in_london())
    return pupils.pupil_out(pupil)


async def _within_batch_limit(request: Request, settings: SettingsDep) -> None:
    """413 `batch_too_large` by the length of the decoded list, before any item is validated.

    FastAPI decodes the JSON body before it runs dependencies and validates the body after them;
    Starlette keeps the decoded body, so counting it costs nothing."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        return  # not JSON: the body's validation says so
    marks = body.get("marks") if isinstance(body, dict) else None
    if isinstance(marks, list) and len(marks) > settings.max_marks_per_request:
        raise PayloadTooLarge(
            "batch_too_large", f"{len(marks)} marks: at most {settings.max_marks_per_request} a request"
        )


@router.post("/{urn}/marks", response_model=MarksResult, responses={413: {}, 422: {}})
async def post_marks(
    urn: str,
    request: Request,
    principal: CurrentPrincipal,
    within_limit: Annotated[None, Depends(_within_batch_limit)],
    body: MarksIn,
    settings: SettingsDep,
    database: DatabaseDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
):
    """Record up to 10,000 marks; a bad item is rejected alone, with its index and an error code."""
    # The bytes as sent: re-serialising the items would cost time on every batch, and fails for a
    # value nested deeper than pydantic serialises.
    sent = await request.body()
    key = request_key(idempotency_key, principal.sub, request.url.path, lambda: sent)

    async def authorise(session: AsyncSession) -> School:
        return await access.school_for_write(session, principal, urn)

    async def record(session: AsyncSession, school: School) -> MarksResult:
        return await marks.record_marks(
            session,
            school=school,
            items=body.marks,
            principal=principal,
            today=today_in_london(),
            marks_per_event=settings.marks_per_event,
        )

    answer = await write_once(database, key, authorise, record, render=MarksResult.answer, status_code=200)
    if (result := answer.written) is not None:  # the committed attempt's result (none for a replay)
        count_marks(result.accepted, result.amended, result.unchanged, len(result.rejected))
    return JSONResponse(answer.body, status_code=answer.status_code)


@dataclass(frozen=True)
class _PupilPeriod:
    pupil: Pupil
    start: dt.date | None
    end: dt.date | None


async def _pupil_period(
    urn: str,
    upn: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    start: FromDate = None,
    end: ToDate = None,
) -> _PupilPeriod:
    """The pupil whose marks or attendance the caller may read, and the period asked for."""
    _, pupil = await access.pupil_for_read(session, principal, urn, _upn(upn))
    return _PupilPeriod(pupil, start, end)


PupilPeriod = Annotated[_PupilPeriod, Depends(_pupil_period)]


@router.get("/{urn}/pupils/{upn}/marks", response_model=MarksOut)
async def get_marks(asked: PupilPeriod, session: SessionDep):
    return await history.list_marks(session, pupil=asked.pupil, start=asked.start, end=asked.end)


@router.get("/{urn}/pupils/{upn}/marks/{date}/{session_name}/history", response_model=HistoryOut)
async def get_history(
    urn: str, upn: str, date: dt.date, session_name: str, session: SessionDep, principal: CurrentPrincipal
):
    """Every entry of one session's mark, oldest first: the original, then each amendment."""
    _, pupil = await access.pupil_for_read(session, principal, urn, _upn(upn))
    return await history.mark_history(
        session, pupil=pupil, date=date, session_name=session_name.upper(), principal=principal
    )


@router.get("/{urn}/pupils/{upn}/attendance", response_model=PupilAttendance, response_model_by_alias=True)
async def get_pupil_attendance(asked: PupilPeriod, session: SessionDep):
    """Possible sessions, the four categories, rates and PA/SA flags (default: academic year to date)."""
    start, end = summaries.period(asked.start, asked.end, today_in_london())
    return await summaries.pupil_attendance(session, pupil=asked.pupil, start=start, end=end)


@router.get("/{urn}/attendance", response_model=SchoolAttendance, response_model_by_alias=True)
async def get_school_attendance(
    urn: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    start: FromDate = None,
    end: ToDate = None,
    group_by: summaries.GroupBy | None = None,
):
    """The school overall and, with `group_by`, per year group, FSM, SEN status or social worker.

    Governors read it too, aggregates being theirs: any group (or school) under 5 pupils suppressed.
    """
    school = await access.school_for_aggregates(session, principal, urn)
    start, end = summaries.period(start, end, today_in_london())
    summary = await summaries.school_attendance(
        session, school=school, start=start, end=end, group_by=group_by
    )
    return summaries.for_governor(summary) if principal.role is Role.GOVERNOR else summary
