"""Who may call which registers route (api.md "Auth"): 401, 403 and the private 404s."""

from __future__ import annotations

from typing import Any

import pytest
from registers_factories import auth, mark, new_upn, new_urn, pupil_body, school_body, token

from attendance_common.clock import today_in_london

pytestmark = pytest.mark.integration

MARKED_ON = "2026-11-16"
READS = ["get_pupil", "get_marks", "get_history", "get_pupil_attendance", "get_school_attendance"]
WRITES = ["put_school", "put_pupil", "post_marks", "delete_pupil"]
ROUTES = WRITES + READS


def route(name: str, urn: str, upn: str) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, body) of one registers route, for school `urn` and pupil `upn`."""
    pupil = f"/v1/schools/{urn}/pupils/{upn}"
    return {
        "put_school": ("PUT", f"/v1/schools/{urn}", school_body()),
        "put_pupil": ("PUT", pupil, pupil_body()),
        "delete_pupil": (
            "POST",
            f"{pupil}/deletion",
            {"ground": "moved_away", "date": today_in_london().isoformat()},
        ),
        "post_marks": ("POST", f"/v1/schools/{urn}/marks", {"marks": [mark(upn, MARKED_ON)]}),
        "get_pupil": ("GET", pupil, None),
        "get_marks": ("GET", f"{pupil}/marks", None),
        "get_history": ("GET", f"{pupil}/marks/{MARKED_ON}/AM/history", None),
        "get_pupil_attendance": ("GET", f"{pupil}/attendance", None),
        "get_school_attendance": ("GET", f"/v1/schools/{urn}/attendance", None),
    }[name]


async def call(client, name: str, urn: str, upn: str, headers: dict[str, str] | None = None):
    method, path, body = route(name, urn, upn)
    return await client.request(method, path, json=body, headers=headers or {})


async def put_pupil(client, school, body: dict[str, Any]) -> str:
    upn = new_upn()
    answer = await client.put(f"/v1/schools/{school.urn}/pupils/{upn}", json=body, headers=school.mis)
    assert answer.status_code == 201
    return upn


async def mark_the_pupil(client, school, upn: str | None = None) -> None:
    """Give the pupil the mark the history route reads."""
    answer = await client.post(
        f"/v1/schools/{school.urn}/marks",
        json={"marks": [mark(upn or school.upn, MARKED_ON)]},
        headers=school.mis,
    )
    assert answer.json()["accepted"] == 1


def assert_problem(answer, status: int, code: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    if code is not None:
        assert answer.json()["code"] == code


# 401


@pytest.mark.parametrize("name", ROUTES)
async def test_every_route_needs_a_token(client, school, name):
    answer = await call(client, name, school.urn, school.upn)
    assert_problem(answer, 401, "missing_token")
    assert answer.headers["www-authenticate"] == "Bearer"


BAD_TOKENS = {
    "wrong_secret": lambda urn: token(
        "mis", schools=[urn], secret="another-secret-of-at-least-32-bytes-long"
    ),
    "expired": lambda urn: token("mis", schools=[urn], ttl_seconds=-3600),
    "malformed": lambda urn: "not-a-jwt",
    "no_schools_claim": lambda urn: token("mis"),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
@pytest.mark.parametrize("name", ROUTES)
async def test_every_route_refuses_a_bad_token(client, school, name, kind):
    headers = {"Authorization": f"Bearer {BAD_TOKENS[kind](school.urn)}"}
    assert_problem(await call(client, name, school.urn, school.upn, headers), 401)


# MIS


@pytest.mark.parametrize("name", ROUTES)
async def test_an_mis_token_for_another_school_is_403_forbidden_school(client, school, name):
    await mark_the_pupil(client, school)
    other = auth("mis", schools=[new_urn()])
    assert_problem(await call(client, name, school.urn, school.upn, other), 403, "forbidden_school")


@pytest.mark.parametrize("name", READS)
async def test_an_mis_token_reads_its_own_school(client, school, name):
    await mark_the_pupil(client, school)
    assert (await call(client, name, school.urn, school.upn, school.mis)).status_code == 200


# School staff


@pytest.mark.parametrize("name", READS)
async def test_school_staff_read_their_schools_records(client, school, name):
    await mark_the_pupil(client, school)
    staff = auth("school_staff", schools=[school.urn])
    assert (await call(client, name, school.urn, school.upn, staff)).status_code == 200


@pytest.mark.parametrize("name", WRITES)
async def test_school_staff_cannot_write_registers(client, school, name):
    staff = auth("school_staff", schools=[school.urn])
    assert_problem(await call(client, name, school.urn, school.upn, staff), 403, "forbidden_school")


@pytest.mark.parametrize("name", READS)
async def test_school_staff_cannot_read_another_school(client, school, name):
    await mark_the_pupil(client, school)
    staff = auth("school_staff", schools=[new_urn()])
    assert_problem(await call(client, name, school.urn, school.upn, staff), 403, "forbidden_school")


# LA officers


@pytest.mark.parametrize("name", READS)
async def test_an_la_officer_reads_a_school_in_their_la(client, school, name):
    await mark_the_pupil(client, school)
    officer = auth("la_officer", la="380")
    assert (await call(client, name, school.urn, school.upn, officer)).status_code == 200


@pytest.mark.parametrize("name", READS)
async def test_an_la_officer_cannot_read_a_school_in_another_la(client, name):
    urn, upn, admin = new_urn(), new_upn(), auth("admin")
    await client.put(f"/v1/schools/{urn}", json=school_body(la_code="999"), headers=admin)
    await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(), headers=admin)
    await client.post(f"/v1/schools/{urn}/marks", json={"marks": [mark(upn, MARKED_ON)]}, headers=admin)
    officer = auth("la_officer", la="380")
    assert_problem(await call(client, name, urn, upn, officer), 403, "forbidden_school")


@pytest.mark.parametrize("name", WRITES)
async def test_an_la_officer_cannot_write_registers_even_in_their_la(client, school, name):
    officer = auth("la_officer", la="380")
    assert_problem(await call(client, name, school.urn, school.upn, officer), 403, "forbidden_school")


# A write through one's own school that names another school's pupil touches only one's own school.


async def test_marks_for_a_pupil_on_roll_only_at_another_school_are_rejected_unknown_pupil(client, school):
    urn, upn, mis = await another_school(client)
    answer = await client.post(
        f"/v1/schools/{school.urn}/marks", json={"marks": [mark(upn, MARKED_ON)]}, headers=school.mis
    )
    assert answer.json()["rejected"][0]["error_code"] == "unknown_pupil"
    assert (await client.get(f"/v1/schools/{urn}/pupils/{upn}/marks", headers=mis)).json()["marks"] == []


async def test_deleting_another_schools_pupil_through_ones_own_school_is_404(client, school):
    urn, upn, mis = await another_school(client)
    assert_problem(await call(client, "delete_pupil", school.urn, upn, school.mis), 404, "unknown_pupil")
    assert (await client.get(f"/v1/schools/{urn}/pupils/{upn}", headers=mis)).json()["on_roll"] is True


async def test_putting_another_schools_pupil_enrols_them_here_and_leaves_that_record_alone(client, school):
    urn, upn, mis = await another_school(client)
    body = {**pupil_body(), "given_name": "Renamed"}
    answer = await client.put(f"/v1/schools/{school.urn}/pupils/{upn}", json=body, headers=school.mis)
    assert answer.status_code == 201  # a second enrolment (dual registration), at this school only
    record = await client.get(f"/v1/schools/{urn}/pupils/{upn}", headers=mis)
    assert record.json()["given_name"] == pupil_body()["given_name"]


async def another_school(client) -> tuple[str, str, dict[str, str]]:
    """A school in another LA with one pupil, registered by an admin: its URN, the UPN, its MIS's headers."""
    urn, upn, admin = new_urn(), new_upn(), auth("admin")
    assert (await client.put(f"/v1/schools/{urn}", json=school_body(la_code="999"), headers=admin)).is_success
    assert (await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(), headers=admin)).is_success
    return urn, upn, auth("mis", schools=[urn])


# Social workers


@pytest.fixture
async def supported_pupil(client, school) -> str:
    """A pupil whose social worker's email is stored in mixed case."""
    body = pupil_body(social_worker_email="Sam.Worker@Example.com", has_social_worker=True)
    upn = await put_pupil(client, school, body)
    await mark_the_pupil(client, school, upn)
    return upn


@pytest.mark.parametrize("name", ["get_pupil_attendance", "get_marks"])
async def test_a_social_worker_reads_their_pupils_attendance_and_marks(client, school, supported_pupil, name):
    worker = auth("social_worker", email="SAM.WORKER@example.COM")
    answer = await call(client, name, school.urn, supported_pupil, worker)
    assert answer.status_code == 200
    if name == "get_marks":
        assert [m["date"] for m in answer.json()["marks"]] == [MARKED_ON]


@pytest.mark.parametrize("name", ["get_pupil_attendance", "get_marks"])
async def test_a_social_worker_gets_404_for_a_pupil_who_is_not_theirs(client, school, supported_pupil, name):
    worker = auth("social_worker", email="someone.else@example.com")
    assert_problem(await call(client, name, school.urn, supported_pupil, worker), 404, "unknown_pupil")


async def test_a_social_worker_gets_404_for_a_pupil_with_no_social_worker(client, school, supported_pupil):
    worker = auth("social_worker", email="sam.worker@example.com")
    assert_problem(
        await call(client, "get_pupil_attendance", school.urn, school.upn, worker), 404, "unknown_pupil"
    )


async def test_a_social_worker_cannot_read_the_school_summary(client, school, supported_pupil):
    worker = auth("social_worker", email="sam.worker@example.com")
    assert_problem(await call(client, "get_school_attendance", school.urn, supported_pupil, worker), 403)


# Parents


async def test_a_parent_reads_their_childs_attendance_whatever_the_email_case(client, school):
    parent = auth("parent", email="Parent@EXAMPLE.com")
    answer = await call(client, "get_pupil_attendance", school.urn, school.upn, parent)
    assert answer.status_code == 200
    assert answer.json()["upn"] == school.upn


async def test_a_parent_gets_404_for_another_child(client, school):
    other_child = await put_pupil(client, school, pupil_body(parent_email="another.parent@example.com"))
    parent = auth("parent", email="parent@example.com")
    assert_problem(
        await call(client, "get_pupil_attendance", school.urn, other_child, parent), 404, "unknown_pupil"
    )


async def test_a_parent_gets_404_where_their_contact_has_no_parental_responsibility(client, school):
    body = pupil_body(parent_email="carer@example.com")
    body["contacts"][0]["parental_responsibility"] = False
    child = await put_pupil(client, school, body)
    carer = auth("parent", email="carer@example.com")
    assert_problem(await call(client, "get_pupil_attendance", school.urn, child, carer), 404, "unknown_pupil")


async def test_a_parent_gets_404_for_a_school_that_does_not_exist(client, school):
    parent = auth("parent", email="parent@example.com")
    assert_problem(
        await call(client, "get_pupil_attendance", new_urn(), school.upn, parent), 404, "unknown_pupil"
    )


async def test_a_parent_cannot_read_the_school_summary(client, school):
    parent = auth("parent", email="parent@example.com")
    assert_problem(await call(client, "get_school_attendance", school.urn, school.upn, parent), 403)


@pytest.mark.parametrize("name", WRITES)
async def test_a_parent_cannot_write_registers(client, school, name):
    parent = auth("parent", email="parent@example.com")
    assert_problem(await call(client, name, school.urn, school.upn, parent), 403, "forbidden_school")


# Admin


async def test_an_admin_can_use_every_route(client):
    urn, upn, admin = new_urn(), new_upn(), auth("admin")
    expected = {"put_school": 201, "put_pupil": 201, "post_marks": 200, **dict.fromkeys(READS, 200)}
    for name, status in expected.items():
        assert (await call(client, name, urn, upn, admin)).status_code == status, name
    assert (await call(client, "delete_pupil", urn, upn, admin)).status_code == 200
