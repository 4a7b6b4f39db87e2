"""Routes of the pupil lists (api.md "Finding pupils who need support"): parse, authorise, list."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select

from attendance_common.auth import CurrentPrincipal
from attendance_common.clock import today_in_london
from attendance_common.db import SessionDep
from attendance_common.errors import Unprocessable
from attendance_common.identifiers import IdentifierError, validate_urn
from attendance_common.pagination import After, Limit
from registers import access, bands, pupil_lists, summaries
from registers.api import FromDate, ToDate
from registers.models import Pupil, School
from registers.schemas import PupilList, YearGroup

router = APIRouter(prefix="/v1", tags=["registers"])

BandQuery = Annotated[
    str | None, Query(description=f"comma list of {', '.join(bands.BANDS)}; 422 `unknown_band` otherwise")
]
SortQuery = Annotated[
    str, Query(description="`absence_rate` (highest first, then UPN) or `upn`; 422 `unknown_sort` otherwise")
]
LaCode = Annotated[str, Path(pattern=r"^[0-9]{3}$", description="3-digit local authority code")]


def _filters(
    band: BandQuery = None,
    year_group: YearGroup | None = None,
    fsm_eligible: bool | None = None,
    sen_status: Annotated[str | None, Query(pattern="^[NKE]$")] = None,
    has_social_worker: bool | None = None,
) -> pupil_lists.Filters:
    return pupil_lists.Filters(
        bands=bands.parse_bands(band),
        year_group=year_group,
        fsm_eligible=fsm_eligible,
        sen_status=sen_status,
        has_social_worker=has_social_worker,
    )


Filters = Annotated[pupil_lists.Filters, Depends(_filters)]


def _urn(urn: str) -> str:
    try:
        return validate_urn(urn)
    except IdentifierError as error:
        raise Unprocessable(error.error_code, error.message) from error


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """As the school summary's, but `from` after `to` is 422 `bad_range` (api.md Part 2's word)."""
    try:
        return summaries.period(start, end, today_in_london())
    except Unprocessable as error:
        raise Unprocessable("bad_range", error.detail) from error


@dataclass(frozen=True)
class _Listing:
    start: dt.date
    end: dt.date
    sort: str
    limit: int
    after: str | None


def _listing(
    start: FromDate = None,
    end: ToDate = None,
    sort: SortQuery = "absence_rate",
    limit: Limit = 100,
    after: After = None,
) -> _Listing:
    """A list's period, order and page: the sort checked (422 `unknown_sort`), then the period."""
    sort = pupil_lists.checked_sort(sort)
    return _Listing(*_period(start, end), sort=sort, limit=limit, after=after)


Listing = Annotated[_Listing, Depends(_listing)]


@router.get("/schools/{urn}/attendance/pupils", response_model=PupilList, response_model_by_alias=True)
async def school_pupils(
    urn: str, session: SessionDep, principal: CurrentPrincipal, filters: Filters, listing: Listing
):
    """One row per pupil on roll in the period: figures, band, the last 20 school days and the trend."""
    school = await access.school_for_pupil_list(session, principal, _urn(urn))
    scope = Pupil.school_urn == school.urn
    return await pupil_lists.pupil_list(session, scope=scope, filters=filters, **asdict(listing))


@router.get("/las/{la_code}/attendance/pupils", response_model=PupilList, response_model_by_alias=True)
async def la_pupils(
    la_code: LaCode, session: SessionDep, principal: CurrentPrincipal, filters: Filters, listing: Listing
):
    """The same over every school of the LA, each row with its `school_urn`."""
    access.ensure_can_read_la(principal, la_code)
    scope = Pupil.school_urn.in_(select(School.urn).where(School.la_code == la_code))
    return await pupil_lists.pupil_list(
        session, scope=scope, filters=filters, with_school=True, **asdict(listing)
    )
