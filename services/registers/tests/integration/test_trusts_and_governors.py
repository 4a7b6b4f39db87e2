"""Schools' attendance leads and trusts; trust officers and governors in registers (api.md Part 2:
"Roles added", "Authorisation clarified", "Schools: attendance lead and trust")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from registers_factories import auth, mark, new_upn, new_urn, pupil_body, school_body
from sqlalchemy import select

from attendance_common.clock import today_in_london
from attendance_common.messaging.outbox import OutboxRow

pytestmark = pytest.mark.integration

MARKED_ON = "2026-11-16"
READS = ["get_pupil", "get_marks", "get_history", "get_pupil_attendance", "get_school_attendance"]
WRITES = ["put_school", "put_pupil", "post_marks", "delete_pupil"]


async def call(client, name: str, urn: str, upn: str, headers: dict[str, str]):
    pupil = f"/v1/schools/{urn}/pupils/{upn}"
    method, path, body = {
        "put_school": ("PUT", f"/v1/schools/{urn}", school_body()),
        "put_pupil": ("PUT", pupil, pupil_body()),
        "delete_pupil": (
            "POST",
            f"{pupil}/deletion",
            {"ground": "moved_away", "date": str(today_in_london())},
        ),
        "post_marks": ("POST", f"/v1/schools/{urn}/marks", {"marks": [mark(upn, MARKED_ON)]}),
        "get_pupil": ("GET", pupil, None),
        "get_marks": ("GET", f"{pupil}/marks", None),
        "get_history": ("GET", f"{pupil}/marks/{MARKED_ON}/AM/history", None),
        "get_pupil_attendance": ("GET", f"{pupil}/attendance", None),
        "get_school_attendance": ("GET", f"/v1/schools/{urn}/attendance", None),
    }[name]
    return await client.request(method, path, json=body, headers=headers)


def assert_problem(answer, status: int, code: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    if code is not None:
        assert answer.json()["code"] == code


async def mark_the_pupil(client, school) -> None:
    marks = {"marks": [mark(school.upn, MARKED_ON)]}
    assert (await client.post(f"/v1/schools/{school.urn}/marks", json=marks, headers=school.mis)).is_success


async def outbox(app, urn: str) -> list[dict[str, Any]]:
    """The `data` of every staged `attendance.school.upserted` of this school, oldest first."""
    async with app.state.database.transaction() as session:
        rows = await session.scalars(
            select(OutboxRow)
            .where(OutboxRow.event_type == "attendance.school.upserted", OutboxRow.key == urn)
            .order_by(OutboxRow.id)
        )
        return [json.loads(row.data) for row in rows]


LEAD = {"name": "Grace Hopper", "email": "g.hopper@hill.sch.uk"}
TRUST = {"id": "T123", "name": "Northern Lights Academy Trust"}
ADMIN = auth("admin")
OFFICER = auth("trust_officer", trust="T123")


def in_trust(trust: dict[str, str] | None = TRUST, **fields: Any) -> dict[str, Any]:
    return {**school_body(), "trust": trust, **fields}


async def put_school(client, urn: str, body: dict[str, Any], headers: dict[str, str] = ADMIN):
    return await client.put(f"/v1/schools/{urn}", json=body, headers=headers)


# Attendance lead and trust on the school


async def test_a_school_takes_an_attendance_lead_and_a_trust_and_answers_with_them(client, app):
    urn = new_urn()
    answer = await put_school(client, urn, in_trust(attendance_lead=LEAD))

    assert answer.status_code == 201
    assert answer.json() == {"urn": urn, **school_body(), "attendance_lead": LEAD, "trust": TRUST}
    assert await outbox(app, urn) == [answer.json()]


async def test_a_school_without_them_is_answered_and_sent_as_before(client, app):
    urn = new_urn()
    answer = await put_school(client, urn, school_body())

    assert answer.json() == {"urn": urn, **school_body()}
    event = (await outbox(app, urn))[0]
    assert (event["attendance_lead"], event["trust"]) == (None, None)


async def test_an_mis_sets_its_schools_attendance_lead(client, app, school):
    answer = await put_school(client, school.urn, {**school_body(), "attendance_lead": LEAD}, school.mis)

    assert (answer.status_code, answer.json()["attendance_lead"]) == (200, LEAD)
    assert (await outbox(app, school.urn))[-1]["attendance_lead"] == LEAD


async def test_leaving_out_the_trust_keeps_it_and_null_takes_the_school_out_of_it(client, app):
    urn = new_urn()
    await put_school(client, urn, in_trust(attendance_lead=LEAD))
    mis = auth("mis", schools=[urn])

    renamed = await put_school(client, urn, school_body(name="Hill Academy"), mis)
    assert (renamed.status_code, renamed.json()["trust"], renamed.json()["attendance_lead"]) == (
        200,
        TRUST,
        LEAD,
    )
    left = await put_school(client, urn, in_trust(None, name="Hill Academy"))
    assert (left.status_code, "trust" in left.json()) == (200, False)
    assert [e["trust"] for e in await outbox(app, urn)] == [TRUST, TRUST, None]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, TRUST),
        (TRUST, {"id": "T999", "name": "Another Trust"}),
        (TRUST, None),
        (TRUST, {**TRUST, "name": "X"}),
    ],
    ids=["join", "move", "leave", "rename"],
)
async def test_only_an_admin_changes_a_schools_trust(client, app, before, after):
    urn = new_urn()
    await put_school(client, urn, in_trust(before))

    answer = await put_school(client, urn, in_trust(after), auth("mis", schools=[urn]))

    assert_problem(answer, 403, "admin_only")
    assert [e["trust"] for e in await outbox(app, urn)] == [before]
    assert (await put_school(client, urn, in_trust(after))).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        in_trust(attendance_lead={"name": "Grace Hopper", "email": "not-an-email"}),
        in_trust(attendance_lead={"name": "", "email": "g@hill.sch.uk"}),
        in_trust({"id": "", "name": "Trust"}),
        in_trust({"id": "T 1", "name": "Trust"}),
        in_trust({"id": "T1"}),
    ],
)
async def test_a_bad_attendance_lead_or_trust_is_422(client, body):
    assert (await put_school(client, new_urn(), body)).status_code == 422


# Trust officers: what the school's staff may, for every school of their trust


@pytest.fixture
async def trust_school(client) -> tuple[str, str]:
    """A school of trust T123 in another LA, with one marked pupil: its URN and the UPN."""
    urn, upn = new_urn(), new_upn()
    assert (await put_school(client, urn, in_trust(la_code="999"))).status_code == 201
    assert (await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(), headers=ADMIN)).is_success
    marks = {"marks": [mark(upn, MARKED_ON)]}
    assert (await client.post(f"/v1/schools/{urn}/marks", json=marks, headers=ADMIN)).is_success
    return urn, upn


@pytest.mark.parametrize("name", READS)
async def test_a_trust_officer_reads_every_school_of_its_trust(client, trust_school, name):
    assert (await call(client, name, *trust_school, OFFICER)).status_code == 200


@pytest.mark.parametrize("name", READS)
async def test_a_trust_officer_cannot_read_a_school_of_another_trust_or_none(
    client, school, trust_school, name
):
    await mark_the_pupil(client, school)
    other = auth("trust_officer", trust="T999")
    assert_problem(await call(client, name, *trust_school, other), 403, "forbidden_school")
    assert_problem(await call(client, name, school.urn, school.upn, OFFICER), 403, "forbidden_school")


@pytest.mark.parametrize("name", READS)
async def test_a_school_that_leaves_the_trust_is_out_of_its_officers_reach(client, trust_school, name):
    urn, upn = trust_school
    await put_school(client, urn, in_trust(None, la_code="999"))
    assert_problem(await call(client, name, urn, upn, OFFICER), 403, "forbidden_school")


@pytest.mark.parametrize("name", WRITES)
async def test_a_trust_officer_cannot_write_registers(client, trust_school, name):
    assert_problem(await call(client, name, *trust_school, OFFICER), 403)


# Governors: aggregates of their schools only


@pytest.mark.parametrize("name", [n for n in READS if n != "get_school_attendance"])
async def test_a_governor_reads_no_pupil_of_its_school(client, school, name):
    await mark_the_pupil(client, school)
    governor = auth("governor", schools=[school.urn])
    assert_problem(await call(client, name, school.urn, school.upn, governor), 403)


@pytest.mark.parametrize("name", WRITES)
async def test_a_governor_writes_nothing(client, school, name):
    governor = auth("governor", schools=[school.urn])
    assert_problem(await call(client, name, school.urn, school.upn, governor), 403)


async def test_a_governor_cannot_read_another_schools_summary(client, school):
    governor = auth("governor", schools=[new_urn()])
    assert_problem(await call(client, "get_school_attendance", school.urn, school.upn, governor), 403)


@pytest.fixture
async def six_pupils(client) -> str:
    """Five pupils in year 6 (one absent both sessions of 16 Nov 2026) and one in year 5 (present)."""
    urn = new_urn()
    await put_school(client, urn, school_body())
    marks = []
    for year, code in [("6", "I"), ("6", "/"), ("6", "/"), ("6", "/"), ("6", "/"), ("5", "/")]:
        upn = new_upn()
        await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(year_group=year), headers=ADMIN)
        marks += [mark(upn, MARKED_ON, session, code) for session in ("AM", "PM")]
    assert (await client.post(f"/v1/schools/{urn}/marks", json={"marks": marks}, headers=ADMIN)).is_success
    return urn


SUPPRESSED = {
    "pupils": None,
    "possible_sessions": None,
    "absence_rate": None,
    "persistent_absence_rate": None,
    "severe_absence_rate": None,
    "suppressed": True,
}


async def test_a_governor_reads_its_schools_summary_with_groups_under_5_pupils_suppressed(client, six_pupils):
    url, params = (
        f"/v1/schools/{six_pupils}/attendance",
        {"from": MARKED_ON, "to": MARKED_ON, "group_by": "year_group"},
    )
    answer = await client.get(url, params=params, headers=auth("governor", schools=[six_pupils]))

    assert answer.status_code == 200, answer.text
    year_6 = {"pupils": 5, "possible_sessions": 10, "absence_rate": 0.2, "persistent_absence_rate": 0.2}
    assert answer.json()["groups"] == [
        {"key": "5", **SUPPRESSED},
        {"key": "6", **year_6, "severe_absence_rate": 0.2},
    ]
    assert answer.json()["overall"]["pupils"] == 6
    staff = await client.get(url, params=params, headers=auth("school_staff", schools=[six_pupils]))
    assert staff.json()["groups"][0] == {
        "key": "5",
        "pupils": 1,
        "possible_sessions": 2,
        "absence_rate": 0.0,
        "persistent_absence_rate": 0.0,
        "severe_absence_rate": 0.0,
    }


async def test_a_governor_of_a_school_under_5_pupils_sees_it_suppressed(client, school):
    answer = await call(
        client, "get_school_attendance", school.urn, school.upn, auth("governor", schools=[school.urn])
    )
    assert answer.json()["overall"] == SUPPRESSED
