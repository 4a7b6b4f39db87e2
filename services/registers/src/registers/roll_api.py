"""Routes for reading back the roll (api.md Part 2 "Reading back the roll"): parse, authorise, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from attendance_common.auth import CurrentPrincipal
from attendance_common.db import SessionDep
from attendance_common.errors import Unprocessable
from attendance_common.identifiers import IdentifierError, validate_urn
from attendance_common.pagination import After, Limit
from registers import access, roll, schools
from registers.schemas import PupilsOut, SchoolOut, SchoolsOut, YearGroup

router = APIRouter(prefix="/v1/schools", tags=["registers"])


def _urn(urn: str) -> str:
    try:
        return validate_urn(urn)
    except IdentifierError as error:
        raise Unprocessable(error.error_code, error.message) from error


@router.get("", response_model=SchoolsOut)
async def list_schools(
    session: SessionDep,
    principal: CurrentPrincipal,
    la: Annotated[str | None, Query(pattern=r"^[0-9]{3}$", description="only this LA's schools")] = None,
    trust: Annotated[str | None, Query(max_length=40, description="only this trust's schools")] = None,
    limit: Limit = 100,
    after: After = None,
):
    """The schools in the caller's scope, by URN, as PUT takes them, with `urn`."""
    return await roll.list_schools(session, principal, la_code=la, trust_id=trust, limit=limit, after=after)


@router.get("/{urn}", response_model=SchoolOut)
async def get_school(urn: str, session: SessionDep, principal: CurrentPrincipal):
    """The school as PUT takes it, with `urn`: its readers and its governors."""
    return schools.school_out(await access.school_for_aggregates(session, principal, _urn(urn)))


@router.get("/{urn}/pupils", response_model=PupilsOut)
async def list_pupils(
    urn: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    on_roll: Annotated[bool | None, Query(description="true: on roll; false: deleted from it")] = None,
    year_group: YearGroup | None = None,
    limit: Limit = 100,
    after: After = None,
):
    """The roll as PUT takes each pupil, with `upn` and `on_roll`, by UPN (MIS, school staff, trust
    officer, the LA officer, admin)."""
    school = await access.school_for_read(session, principal, _urn(urn))
    return await roll.list_pupils(
        session, school, on_roll=on_roll, year_group=year_group, limit=limit, after=after
    )
