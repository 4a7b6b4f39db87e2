"""Reading back the roll (api.md Part 2): an MIS reads the schools and pupils it sent, as PUT took
them, within its scope and paged by cursor."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from registers_factories import auth, new_upn, new_urn, pupil_body, school_body

from attendance_common.clock import today_in_london

pytestmark = pytest.mark.integration


def new_la() -> str:
    return f"{random.randrange(900, 1000)}"


async def put_school(client, urn: str, body: dict[str, Any]) -> None:
    answer = await client.put(f"/v1/schools/{urn}", json=body, headers=auth("admin"))
    assert answer.status_code == 201, answer.text


async def put_pupil(client, urn: str, upn: str, body: dict[str, Any]) -> None:
    answer = await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=body, headers=auth("admin"))
    assert answer.status_code == 201, answer.text


async def every_page(client, path: str, key: str, headers: dict[str, str], **params: Any) -> list[dict]:
    """Follow `next` to the end, one small page at a time."""
    found: list[dict] = []
    after: str | None = None
    while True:
        answer = await client.get(
            path, params={**params, **({"after": after} if after else {})}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        found += answer.json()[key]
        after = answer.json()["next"]
        if after is None:
            return found


async def test_a_school_reads_back_as_put_took_it_with_its_urn(client):
    urn = new_urn()
    body = {
        **school_body(la_code="381", name="Vale Academy"),
        "attendance_lead": {"name": "Jo Lead", "email": "jo.lead@vale.example"},
        "trust": {"id": f"T{uuid.uuid4().hex[:8]}", "name": "Vale Trust"},
    }
    await put_school(client, urn, body)
    answer = await client.get(f"/v1/schools/{urn}", headers=auth("mis", schools=[urn]))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {**body, "urn": urn}


async def test_a_school_outside_the_callers_scope_is_403_and_an_unknown_one_404(client, school):
    other = auth("mis", schools=[new_urn()])
    assert (await client.get(f"/v1/schools/{school.urn}", headers=other)).status_code == 403
    missing = await client.get(f"/v1/schools/{new_urn()}", headers=auth("admin"))
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_school")


async def test_the_schools_list_is_the_callers_scope_narrowed_by_la_and_trust_and_paged(client):
    la, trust = new_la(), f"T{uuid.uuid4().hex[:8]}"
    urns = sorted(new_urn() for _ in range(3))
    for n, urn in enumerate(urns):
        body = {**school_body(la_code=la), **({"trust": {"id": trust, "name": "T"}} if n else {})}
        await put_school(client, urn, body)

    officer = auth("la_officer", la=la)
    listed = await every_page(client, "/v1/schools", "schools", officer, limit=1)
    assert [s["urn"] for s in listed if s["urn"] in urns] == urns
    assert {s["la_code"] for s in listed} == {la}
    in_trust = await every_page(client, "/v1/schools", "schools", auth("admin"), trust=trust, limit=1)
    assert [s["urn"] for s in in_trust] == urns[1:]
    by_la = await every_page(client, "/v1/schools", "schools", auth("admin"), la=la)
    assert [s["urn"] for s in by_la] == [s["urn"] for s in listed]
    mis = auth("mis", schools=[urns[0], urns[2]])
    assert [s["urn"] for s in await every_page(client, "/v1/schools", "schools", mis)] == [urns[0], urns[2]]
    trust_officer = auth("trust_officer", trust=trust)
    assert [s["urn"] for s in await every_page(client, "/v1/schools", "schools", trust_officer)] == urns[1:]
    parent = await client.get("/v1/schools", headers=auth("parent", email="p@example.com"))
    assert (parent.status_code, parent.json()["code"]) == (403, "forbidden_role")


async def test_the_roll_reads_back_as_put_took_each_pupil_with_upn_and_on_roll(client):
    urn, la = new_urn(), new_la()
    await put_school(client, urn, school_body(la_code=la))
    bodies = {
        new_upn(): pupil_body(year_group=str(5 + n % 2), parent_email=f"p{n}@example.com") for n in range(3)
    }
    for upn, body in bodies.items():
        await put_pupil(client, urn, upn, body)
    mis = auth("mis", schools=[urn])

    pupils = await every_page(client, f"/v1/schools/{urn}/pupils", "pupils", mis, limit=2)

    assert [p["upn"] for p in pupils] == sorted(bodies)
    for pupil in pupils:
        assert pupil["on_roll"] is True
        assert {k: pupil[k] for k in bodies[pupil["upn"]]} == bodies[pupil["upn"]]


async def test_the_roll_filters_by_on_roll_and_year_group(client):
    urn = new_urn()
    await put_school(client, urn, school_body())
    staying, leaving, younger = new_upn(), new_upn(), new_upn()
    await put_pupil(client, urn, staying, pupil_body(year_group="6"))
    await put_pupil(client, urn, leaving, pupil_body(year_group="6"))
    await put_pupil(client, urn, younger, pupil_body(year_group="2"))
    deletion = {"ground": "moved_away", "date": today_in_london().isoformat(), "note": None}
    gone = await client.post(
        f"/v1/schools/{urn}/pupils/{leaving}/deletion", json=deletion, headers=auth("admin")
    )
    assert gone.status_code == 200, gone.text
    staff = auth("school_staff", schools=[urn])

    async def upns(**params: str) -> list[str]:
        return [
            p["upn"] for p in await every_page(client, f"/v1/schools/{urn}/pupils", "pupils", staff, **params)
        ]

    assert await upns() == sorted([staying, leaving, younger])
    assert await upns(on_roll="true") == sorted([staying, younger])
    assert await upns(on_roll="false") == [leaving]
    assert await upns(year_group="6", on_roll="true") == [staying]


async def test_the_roll_is_for_the_schools_readers_only(client, school):
    path = f"/v1/schools/{school.urn}/pupils"
    assert (await client.get(path, headers=auth("mis", schools=[new_urn()]))).status_code == 403
    assert (await client.get(path, headers=auth("governor", schools=[school.urn]))).status_code == 403
    assert (await client.get(path, headers=auth("la_officer", la="999"))).status_code == 403
    assert (await client.get(path, headers=auth("la_officer", la=school.la_code))).status_code == 200
    bad = await client.get(path, params={"after": "not-a-cursor"}, headers=school.mis)
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_cursor")


async def test_each_pupil_the_roll_shows_is_in_the_audit_log(client, school):
    second = new_upn()
    await put_pupil(client, school.urn, second, pupil_body())
    answer = await client.get(f"/v1/schools/{school.urn}/pupils", headers=school.mis)
    assert answer.status_code == 200
    entries = (
        await client.get("/v1/audit", params={"school": school.urn, "limit": 1000}, headers=auth("admin"))
    ).json()
    read = {
        e["upn"]
        for e in entries["entries"]
        if e["method"] == "GET" and e["resource"] == "/v1/schools/{urn}/pupils"
    }
    assert read == {school.upn, second}
