"""Writes that name a pupil, aimed across a family that spans two schools in two LAs (issue 16 item 2).

Ada is at the world's school (LA 380); her brother Byron at another school in LA 381. Their case is
one family's, readable and supportable by both schools and both LAs; but each write that names one
pupil, in every service, is for that pupil's own school, that pupil's LA, or an admin. Every probe
here is refused (403, or 404 where the target is private); each service's own tests check that such
a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from security_routes import pupil_body
from security_world import ADMIN, LA, MARKED_ON, URN, headers_at, headers_of, new_upn, new_urn, pupil_upserted

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.events.registers import MarksRecorded, RecordedMark, SchoolUpserted

pytestmark = pytest.mark.integration
OTHER_LA = "381"
STAFF, OFFICER, MIS = headers_of("school_staff"), headers_of("la_officer"), headers_of("mis")  # Ada's side


def officer_of(la: str) -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=f"la-{la}", role="la_officer", la=la)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Family:
    stack: Any
    ada: str
    there: str  # Byron's school, in LA 381
    byron: str
    case_id: str

    def client(self, service: str) -> httpx.AsyncClient:
        return self.stack.clients[service]

    async def alert_id(self, upn: str) -> str:
        answer = await self.client("alerts").get("/v1/alerts", params={"upn": upn}, headers=ADMIN)
        return answer.json()["alerts"][0]["id"]

    async def legal_action(self, upn: str) -> str:
        body = {
            "type": "attendance_contract",
            "upn": upn,
            "parent_contact_id": "c1",
            "issued_on": "2026-11-20",
        }
        url = f"/v1/cases/{self.case_id}/legal-actions"
        answer = await self.client("casework").post(url, json=body, headers=ADMIN)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]


async def family_across_two_las(stack: Any) -> Family:
    """Ada at URN (LA 380), Byron at a new school in LA 381, one parent; their case at formalise_support."""
    email, there, ada, byron = f"{uuid.uuid4().hex[:10]}@example.com", new_urn(), new_upn(), new_upn()
    registers = stack.clients["registers"]
    school = {"name": "Other LA Primary", "la_code": OTHER_LA, "phase": "primary"}
    assert (await registers.put(f"/v1/schools/{there}", json=school, headers=ADMIN)).status_code == 201
    for urn, upn in ((URN, ada), (there, byron)):
        answer = await registers.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(email), headers=ADMIN)
        assert answer.status_code == 201, answer.text
    at = dt.datetime.combine(MARKED_ON, dt.time(9), tzinfo=dt.UTC)
    for feed in stack.feeds.values():
        await feed.send(SchoolUpserted(urn=there, name="Other LA Primary", la_code=OTHER_LA, phase="primary"))
        for urn, la, upn in ((URN, LA, ada), (there, OTHER_LA, byron)):
            await feed.send(
                pupil_upserted(upn, parent_email=email).model_copy(update={"school_urn": urn, "la_code": la})
            )
            mark = RecordedMark(upn=upn, date=MARKED_ON, session="AM", code="N", recorded_at=at)
            await feed.send(MarksRecorded(school_urn=urn, la_code=la, marks=[mark]))
    body = {"pupils": [{"school_urn": URN, "upn": ada}], "stage": "formalise_support", "reason": "probe"}
    case = await stack.clients["casework"].post("/v1/cases", json=body, headers=ADMIN)
    assert case.status_code == 201, case.text
    assert {p["upn"] for p in case.json()["pupils"]} == {ada, byron}
    return Family(stack, ada, there, byron, case.json()["id"])


Probe = Callable[[Family], Awaitable[httpx.Response]]


async def marks_for_byron_through_adas_school(f: Family) -> httpx.Response:
    marks = {"marks": [{"upn": f.byron, "date": MARKED_ON.isoformat(), "session": "PM", "code": "O"}]}
    return await f.client("registers").post(f"/v1/schools/{URN}/marks", json=marks, headers=MIS)


async def delete_byron_through_adas_school(f: Family) -> httpx.Response:
    body = {"ground": "moved_away", "date": dt.date.today().isoformat()}
    return await f.client("registers").post(
        f"/v1/schools/{URN}/pupils/{f.byron}/deletion", json=body, headers=MIS
    )


async def put_byron_at_his_school(f: Family) -> httpx.Response:
    url = f"/v1/schools/{f.there}/pupils/{f.byron}"
    return await f.client("registers").put(url, json=pupil_body(), headers=MIS)


async def marks_at_byrons_school(f: Family) -> httpx.Response:
    marks = {"marks": [{"upn": f.byron, "date": MARKED_ON.isoformat(), "session": "PM", "code": "O"}]}
    return await f.client("registers").post(f"/v1/schools/{f.there}/marks", json=marks, headers=MIS)


async def move_byrons_school_into_la_380(f: Family) -> httpx.Response:
    school = {"name": "Other LA Primary", "la_code": LA, "phase": "primary"}
    return await f.client("registers").put(f"/v1/schools/{f.there}", json=school, headers=MIS)


def report_absence_for_byron(at: str) -> Probe:
    """Ada's staff report an absence for Byron: through Ada's school, or at his own."""

    async def probe(f: Family) -> httpx.Response:
        urn = URN if at == "ada" else f.there
        body = {"first_date": dt.date.today().isoformat(), "reason": "illness"}
        return await f.client("registers").post(
            f"/v1/schools/{urn}/pupils/{f.byron}/absence-reports", json=body, headers=STAFF
        )

    return probe


def decide_byrons(kind: str) -> Probe:
    """Ada's staff decide a report or leave request at Byron's school."""

    async def probe(f: Family) -> httpx.Response:
        registers = f.client("registers")
        soon = dt.date.today() + dt.timedelta(days=7)
        body = {"first_date": soon.isoformat(), "reason": "illness", "category": "interview"}
        body.pop("category" if kind == "absence-reports" else "reason")
        made = await registers.post(
            f"/v1/schools/{f.there}/pupils/{f.byron}/{kind}", json=body, headers=ADMIN
        )
        assert made.status_code == 201, made.text
        decision = {"decision": "accepted" if kind == "absence-reports" else "granted"}
        url = f"/v1/schools/{f.there}/{kind}/{made.json()['id']}/decision"
        return await registers.post(url, json=decision, headers=STAFF)

    return probe


def acknowledge_byrons_alert(headers: dict[str, str]) -> Probe:
    async def probe(f: Family) -> httpx.Response:
        url = f"/v1/alerts/{await f.alert_id(f.byron)}/acknowledge"
        return await f.client("alerts").post(url, json={"note": "probe"}, headers=headers)

    return probe


def legal_action_about(pupil: str, headers: dict[str, str]) -> Probe:
    async def probe(f: Family) -> httpx.Response:
        upn = f.byron if pupil == "byron" else f.ada
        body = {
            "type": "attendance_contract",
            "upn": upn,
            "parent_contact_id": "c1",
            "issued_on": "2026-11-20",
        }
        return await f.client("casework").post(
            f"/v1/cases/{f.case_id}/legal-actions", json=body, headers=headers
        )

    return probe


def withdraw_adas_legal_action(headers: Callable[[Family], dict[str, str]]) -> Probe:
    async def probe(f: Family) -> httpx.Response:
        url = f"/v1/cases/{f.case_id}/legal-actions/{await f.legal_action(f.ada)}/withdraw"
        return await f.client("casework").post(url, json={"reason": "probe"}, headers=headers(f))

    return probe


async def open_a_case_naming_byron(f: Family) -> httpx.Response:
    body = {"pupils": [{"school_urn": f.there, "upn": f.byron}], "stage": "monitor", "reason": "probe"}
    return await f.client("casework").post("/v1/cases", json=body, headers=STAFF)


def settings_of_byrons_school(service: str, headers: dict[str, str]) -> Probe:
    async def probe(f: Family) -> httpx.Response:
        kind = "rules" if service == "alerts" else "routing"
        body = (
            {"illness_days": 3}
            if service == "alerts"
            else {"routes": {"persistent_absence": {"parents": []}}}
        )
        return await f.client(service).put(f"/v1/{kind}/school:{f.there}", json=body, headers=headers)

    return probe


PROBES: dict[str, Probe] = {
    "registers: Ada's MIS marks Byron through Ada's school": marks_for_byron_through_adas_school,
    "registers: Ada's MIS deletes Byron through Ada's school": delete_byron_through_adas_school,
    "registers: Ada's MIS puts Byron at his school": put_byron_at_his_school,
    "registers: Ada's MIS marks at Byron's school": marks_at_byrons_school,
    "registers: Ada's MIS moves Byron's school into its LA": move_byrons_school_into_la_380,
    "registers: Ada's staff report Byron absent through Ada's school": report_absence_for_byron("ada"),
    "registers: Ada's staff report Byron absent at his school": report_absence_for_byron("byron"),
    "registers: Ada's staff decide a report at Byron's school": decide_byrons("absence-reports"),
    "registers: Ada's staff grant leave at Byron's school": decide_byrons("leave-requests"),
    "alerts: Ada's staff acknowledge Byron's alert": acknowledge_byrons_alert(STAFF),
    "alerts: Ada's LA acknowledges Byron's alert": acknowledge_byrons_alert(OFFICER),
    "alerts: Ada's staff set Byron's school's rules": settings_of_byrons_school("alerts", STAFF),
    "alerts: Ada's LA sets Byron's school's rules": settings_of_byrons_school("alerts", OFFICER),
    "casework: Ada's staff take legal action about Byron": legal_action_about("byron", STAFF),
    "casework: Ada's LA takes legal action about Byron": legal_action_about("byron", OFFICER),
    "casework: Byron's LA takes legal action about Ada": legal_action_about("ada", officer_of(OTHER_LA)),
    "casework: Byron's LA withdraws Ada's": withdraw_adas_legal_action(lambda f: officer_of(OTHER_LA)),
    "casework: Byron's staff withdraw Ada's": withdraw_adas_legal_action(
        lambda f: headers_at("school_staff", f.there)
    ),
    "casework: Ada's staff open a case naming Byron": open_a_case_naming_byron,
    "notifications: Ada's staff route Byron's school": settings_of_byrons_school("notifications", STAFF),
    "notifications: Ada's LA routes Byron's school": settings_of_byrons_school("notifications", OFFICER),
}


@pytest.mark.parametrize("name", PROBES)
async def test_a_write_naming_a_pupil_outside_the_callers_scope_is_refused(stack, name):
    f = await family_across_two_las(stack)
    answer = await PROBES[name](f)
    if answer.status_code == 200 and name.startswith("registers: Ada's MIS marks Byron"):
        # A batch answers 200 and rejects the item alone: Byron is not on Ada's school's roll.
        assert answer.json()["rejected"][0]["error_code"] == "unknown_pupil", answer.text
        assert answer.json()["accepted"] == 0
        return
    assert answer.status_code in (403, 404), f"{name}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"] == "application/problem+json"


async def test_both_schools_and_both_las_still_read_and_support_the_familys_case(stack):
    f = await family_across_two_las(stack)
    casework = f.client("casework")
    for headers in (STAFF, headers_at("school_staff", f.there), OFFICER, officer_of(OTHER_LA)):
        assert (await casework.get(f"/v1/cases/{f.case_id}", headers=headers)).status_code == 200
        barrier = {"category": "transport", "description": "probe"}
        answer = await casework.post(f"/v1/cases/{f.case_id}/barriers", json=barrier, headers=headers)
        assert answer.status_code == 201, answer.text
