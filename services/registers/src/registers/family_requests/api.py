"""Routes for families' requests (api.md "Families report absences", "Families ask for leave"):
parse, authorise and call the use case (service), render.

Both kinds have the same five routes, made by `_mount` from what differs: the kind and its bodies
(`_Routes`), and each route's words (`_ABOUT`). No `from __future__ import annotations` here: FastAPI
reads the routes' annotations, which name each kind's own bodies, so they are evaluated as the routes
are made.
"""

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import CurrentPrincipal, Principal
from attendance_common.db import Database, DatabaseDep, SessionDep
from attendance_common.errors import Unprocessable
from attendance_common.idempotent_writes import no_check, request_key, write_once
from attendance_common.identifiers import IdentifierError, validate_upn, validate_urn
from attendance_common.pagination import After, Limit
from registers.family_requests import absence_reports, leave_requests, lifecycle, service
from registers.family_requests.render import request_out
from registers.family_requests.schemas import (
    LeaveDecisionIn,
    LeaveIn,
    LeaveOut,
    LeavesOut,
    ReportDecisionIn,
    ReportIn,
    ReportOut,
    ReportsOut,
    RequestOut,
)

router = APIRouter(prefix="/v1/schools", tags=["families"])
FromDate = Annotated[dt.date | None, Query(alias="from", description="keep those overlapping from this date")]
ToDate = Annotated[dt.date | None, Query(alias="to", description="keep those overlapping up to this date")]
Upn = Annotated[str | None, Query(max_length=20)]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]


@dataclass(frozen=True)
class _Routes:
    """What one kind's routes have of their own: the path, route names and statuses follow from the
    kind's name and `out`."""

    kind: lifecycle.Kind[Any]
    body: type[BaseModel]
    decision: type[BaseModel]
    out: type[RequestOut]
    page: type[BaseModel]


_KINDS = (
    _Routes(absence_reports.KIND, ReportIn, ReportDecisionIn, ReportOut, ReportsOut),
    _Routes(leave_requests.KIND, LeaveIn, LeaveDecisionIn, LeaveOut, LeavesOut),
)
# Each route's OpenAPI description, by its name.
_ABOUT = {
    "submit_absence_report": "A family (or the office for them) reports an absence: evidence for the "
    "school, not a mark.",
    "list_school_absence_reports": "The school's reports, newest first: its staff's queue.",
    "list_pupil_absence_reports": "One pupil's reports, newest first; parents read their own child's.",
    "decide_absence_report": "Accept or decline (with a note) a report still submitted; a decided one is "
    "409 `already_decided`.",
    "withdraw_absence_report": "Withdraw a report still submitted: the parent who submitted it, or the "
    "school's staff.",
    "submit_leave_request": "Ask for leave of absence, in advance (regulation 11); `expected_code` is what "
    "granted leave records.",
    "list_school_leave_requests": "The school's leave requests, newest first.",
    "list_pupil_leave_requests": "One pupil's leave requests, newest first; parents read their own child's.",
    "decide_leave_request": "Grant or refuse (with a note) leave still pending: the school's staff, not its "
    "MIS.",
    "withdraw_leave_request": "Withdraw leave still pending: the parent who asked, or the school's staff.",
}


def _ids(urn: str, upn: str | None = None) -> tuple[str, str]:
    try:
        return validate_urn(urn), validate_upn(upn) if upn is not None else ""
    except IdentifierError as error:
        raise Unprocessable(error.error_code, error.message) from error


async def _submitted_once(
    request: Request,
    database: Database,
    principal: Principal,
    body: BaseModel,
    idempotency_key: str | None,
    submit: Callable[[AsyncSession], Awaitable[BaseModel]],
) -> JSONResponse:
    """201 with the new request; with an `Idempotency-Key`, a retry answers the first response and the
    same key with another body is 422 `idempotency_key_reused` (as marks, api.md "Registers")."""
    key = request_key(
        idempotency_key, principal.sub, request.url.path, lambda: body.model_dump_json().encode()
    )
    answer = await write_once(
        database,
        key,
        no_check,  # the use case authorises
        lambda session, _: submit(session),
        render=lambda submitted: submitted.model_dump(mode="json"),
        status_code=201,
    )
    return JSONResponse(answer.body, status_code=answer.status_code)


def _mount(routes: _Routes) -> None:
    """Add one kind's five routes: submit, the school's list, a pupil's list, decide, withdraw."""
    kind, out, page = routes.kind, routes.out, routes.page
    noun, collection = kind.name.replace(" ", "_"), f"{kind.name.replace(' ', '-')}s"  # absence_report(s)
    school_path, pupil_path = f"/{{urn}}/{collection}", f"/{{urn}}/pupils/{{upn}}/{collection}"
    one_path = f"{school_path}/{{{kind.id_field}}}"
    # The kind's own types, named for the annotations below (mypy cannot check types chosen at run time);
    # a list filters by the statuses its rows show.
    statuses: Any = out.model_fields["status"].annotation
    Body, Decision, Status = routes.body, routes.decision, statuses | None
    RequestId = Annotated[str, Path(alias=kind.id_field)]

    async def filters_asked(
        status: Status = None,  # type: ignore[valid-type]
        start: FromDate = None,
        end: ToDate = None,
        limit: Limit = 100,
        after: After = None,
    ) -> service.Filters:
        return service.Filters(status=status, start=start, end=end, limit=limit, after=after)

    Filters = Annotated[service.Filters, Depends(filters_asked)]

    def listed(found: tuple[list[Any], str | None]) -> BaseModel:
        rows, cursor = found
        return page.model_validate({f"{noun}s": [request_out(out, row) for row in rows], "next": cursor})

    def route(method: str, path: str, action: str, **options: Any) -> Callable[[Any], Any]:
        """A route under the name it had before the kinds shared their routes (`submit_absence_report`,
        `list_school_absence_reports`), described by `_ABOUT`."""
        name = f"{action}_{noun}s" if action.startswith("list_") else f"{action}_{noun}"
        return router.api_route(path, methods=[method], name=name, description=_ABOUT[name], **options)

    @route("POST", pupil_path, "submit", response_model=out, status_code=201, responses={422: {}})
    async def submit(
        urn: str,
        upn: str,
        body: Body,  # type: ignore[valid-type]
        request: Request,
        database: DatabaseDep,
        principal: CurrentPrincipal,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        urn, upn = _ids(urn, upn)

        async def submitted(session: AsyncSession) -> BaseModel:
            return request_out(out, await service.submit(session, principal, kind, urn, upn, body))

        return await _submitted_once(request, database, principal, body, idempotency_key, submitted)

    @route("GET", school_path, "list_school", response_model=page)
    async def list_school(
        urn: str, session: SessionDep, principal: CurrentPrincipal, filters: Filters, upn: Upn = None
    ) -> BaseModel:
        filters = replace(filters, upn=upn)
        return listed(await service.list_requests(session, principal, kind, _ids(urn)[0], filters))

    @route("GET", pupil_path, "list_pupil", response_model=page)
    async def list_pupil(
        urn: str, upn: str, session: SessionDep, principal: CurrentPrincipal, filters: Filters
    ) -> BaseModel:
        urn, upn = _ids(urn, upn)
        return listed(await service.list_requests(session, principal, kind, urn, filters, upn=upn))

    @route("POST", f"{one_path}/decision", "decide", response_model=out, responses={409: {}})
    async def decide(
        urn: str,
        request_id: RequestId,
        body: Decision,  # type: ignore[valid-type]
        session: SessionDep,
        principal: CurrentPrincipal,
    ) -> BaseModel:
        decided = await service.decide(session, principal, kind, _ids(urn)[0], request_id, body)
        return request_out(out, decided)

    @route("POST", f"{one_path}/withdraw", "withdraw", response_model=out, responses={409: {}})
    async def withdraw(
        urn: str, request_id: RequestId, session: SessionDep, principal: CurrentPrincipal
    ) -> BaseModel:
        return request_out(out, await service.withdraw(session, principal, kind, _ids(urn)[0], request_id))


for _routes in _KINDS:
    _mount(_routes)
