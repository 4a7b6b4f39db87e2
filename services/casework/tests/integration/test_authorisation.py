"""Who may see and act on which cases (api.md "Auth", "Authorisation clarified"): staff of any school in
the family, the LA officer of any of those schools' LA, admins; nobody else. A write that names one
pupil (a legal action, its withdrawal) is for that pupil's school staff and LA officer, and admins."""

from __future__ import annotations

import pytest
from casework_support import admin, auth, la_officer, new_email, new_upn, new_urn, only_case, staff

pytestmark = pytest.mark.integration


async def two_school_family(client, feed) -> tuple[str, str, dict]:
    """A family with one child at a school in LA 380 and one at a school in LA 381, with a case."""
    email, (here, there), (ada, byron) = new_email(), (new_urn(), new_urn()), (new_upn(), new_upn())
    await feed.pupil(here, ada, email=email, la_code="380")
    await feed.pupil(there, byron, email=email, la_code="381")
    await feed.alert(here, ada, "persistent_absence")
    return here, there, await only_case(client, ada)


async def ids_visible(client, headers) -> set[str]:
    response = await client.get("/v1/cases", params={"limit": 1000, "status": "open"}, headers=headers)
    assert response.status_code == 200, response.text
    found = {c["id"] for c in response.json()["cases"]}
    while response.json()["next"]:
        params = {"limit": 1000, "status": "open", "after": response.json()["next"]}
        response = await client.get("/v1/cases", params=params, headers=headers)
        found |= {c["id"] for c in response.json()["cases"]}
    return found


async def test_no_token_is_401(client):
    response = await client.get("/v1/cases")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "headers",
    [
        auth("mis", schools=["100001"]),
        auth("parent", email="p@example.com"),
        auth("social_worker", email="s@x.uk"),
    ],
    ids=["mis", "parent", "social_worker"],
)
async def test_other_roles_may_not_list_cases(client, headers):
    response = await client.get("/v1/cases", headers=headers)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_role")


async def test_staff_of_either_school_in_the_family_see_and_support_the_case(client, feed):
    here, there, case = await two_school_family(client, feed)
    for headers in (staff(here), staff(there)):
        assert case["id"] in await ids_visible(client, headers)
        barrier = {"category": "transport", "description": "bus withdrawn"}
        response = await client.post(f"/v1/cases/{case['id']}/barriers", json=barrier, headers=headers)
        assert response.status_code == 201
        action = {"type": "meeting", "due_on": "2026-12-01", "notes": "family meeting"}
        response = await client.post(f"/v1/cases/{case['id']}/actions", json=action, headers=headers)
        assert response.status_code == 201


async def test_staff_of_another_school_neither_see_nor_touch_the_case(client, feed):
    _, _, case = await two_school_family(client, feed)
    stranger = staff(new_urn())
    assert case["id"] not in await ids_visible(client, stranger)
    assert (await client.get(f"/v1/cases/{case['id']}", headers=stranger)).status_code == 404
    body = {"stage": "enforce", "reason": "x"}
    assert (
        await client.post(f"/v1/cases/{case['id']}/stage", json=body, headers=stranger)
    ).status_code == 404
    assert (await only_case(client, case["pupils"][0]["upn"]))["stage"] == "listen_and_understand"


async def test_la_officers_of_either_schools_la_see_the_case_others_do_not(client, feed):
    _, _, case = await two_school_family(client, feed)
    assert case["id"] in await ids_visible(client, la_officer("380"))
    assert case["id"] in await ids_visible(client, la_officer("381"))
    assert case["id"] not in await ids_visible(client, la_officer("999"))
    assert (await client.get(f"/v1/cases/{case['id']}", headers=la_officer("999"))).status_code == 404


async def test_la_officers_may_close_a_case_in_their_la(client, feed):
    _, _, case = await two_school_family(client, feed)
    body = {"outcome": "attendance_improved"}
    response = await client.post(f"/v1/cases/{case['id']}/close", json=body, headers=la_officer("381"))
    assert (response.status_code, response.json()["status"]) == (200, "closed")


async def test_staff_may_not_filter_by_another_school(client):
    response = await client.get("/v1/cases", params={"school": "999999"}, headers=staff(new_urn()))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_school")


async def test_staff_may_not_open_a_case_for_another_schools_pupil(client, feed):
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email())
    body = {"pupils": [{"school_urn": urn, "upn": upn}], "stage": "monitor"}
    response = await client.post("/v1/cases", json=body, headers=staff(new_urn()))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_school")
    assert (await client.get("/v1/cases", params={"upn": upn}, headers=admin())).json()["cases"] == []


async def test_la_officers_may_open_a_case_for_a_pupil_in_their_la(client, feed):
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email(), la_code="382")
    body = {"pupils": [{"school_urn": urn, "upn": upn}], "stage": "monitor"}
    assert (await client.post("/v1/cases", json=body, headers=la_officer("381"))).status_code == 403
    assert (await client.post("/v1/cases", json=body, headers=la_officer("382"))).status_code == 201


async def test_staff_of_another_school_may_not_record_legal_actions(client, feed):
    _, _, case = await two_school_family(client, feed)
    body = {"type": "penalty_notice", "upn": case["pupils"][0]["upn"], "issued_on": "2025-01-06"}
    response = await client.post(f"/v1/cases/{case['id']}/legal-actions", json=body, headers=staff(new_urn()))
    assert response.status_code == 404


# A write that names one pupil: the family spans school `here` (LA 380, Ada) and `there` (LA 381, Byron).


async def at_formalise_support(client, feed) -> tuple[str, str, dict]:
    here, there, case = await two_school_family(client, feed)
    body = {"stage": "formalise_support", "reason": "contract next"}
    response = await client.post(f"/v1/cases/{case['id']}/stage", json=body, headers=admin())
    assert response.status_code == 200, response.text
    return here, there, case


def contract_for(upn: str) -> dict:
    return {"type": "attendance_contract", "upn": upn, "parent_contact_id": "c1", "issued_on": "2026-11-20"}


def upn_at(case: dict, urn: str) -> str:
    (upn,) = [p["upn"] for p in case["pupils"] if p["school_urn"] == urn]
    return upn


async def legal_actions(client, case: dict) -> list[dict]:
    return (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()["legal_actions"]


def forbidden(response) -> bool:
    return (response.status_code, response.json()["code"]) == (403, "forbidden_school")


async def test_staff_may_not_record_a_legal_action_about_a_sibling_at_another_school(client, feed):
    here, there, case = await at_formalise_support(client, feed)
    body = contract_for(upn_at(case, there))
    response = await client.post(f"/v1/cases/{case['id']}/legal-actions", json=body, headers=staff(here))
    assert forbidden(response), response.text
    assert await legal_actions(client, case) == []


async def test_an_la_officer_may_not_record_a_legal_action_about_a_sibling_in_another_la(client, feed):
    here, _, case = await at_formalise_support(client, feed)
    body = contract_for(upn_at(case, here))
    response = await client.post(
        f"/v1/cases/{case['id']}/legal-actions", json=body, headers=la_officer("381")
    )
    assert forbidden(response), response.text
    assert await legal_actions(client, case) == []


@pytest.mark.parametrize("who", ["staff", "la_officer", "admin"])
async def test_the_pupils_own_school_la_and_admins_record_legal_actions(client, feed, who):
    here, _, case = await at_formalise_support(client, feed)
    headers = {"staff": staff(here), "la_officer": la_officer("380"), "admin": admin()}[who]
    body = contract_for(upn_at(case, here))
    response = await client.post(f"/v1/cases/{case['id']}/legal-actions", json=body, headers=headers)
    assert response.status_code == 201, response.text


async def record_at_there(client, feed) -> tuple[str, str, dict, str]:
    """A contract about Byron (school `there`, LA 381), recorded by his own school's staff."""
    here, there, case = await at_formalise_support(client, feed)
    body = contract_for(upn_at(case, there))
    response = await client.post(f"/v1/cases/{case['id']}/legal-actions", json=body, headers=staff(there))
    assert response.status_code == 201, response.text
    return here, there, case, response.json()["id"]


@pytest.mark.parametrize("who", ["staff_of_the_sibling", "officer_of_the_siblings_la"])
async def test_only_the_named_pupils_school_and_la_withdraw_a_legal_action(client, feed, who):
    here, _, case, action_id = await record_at_there(client, feed)
    outsider = {"staff_of_the_sibling": staff(here), "officer_of_the_siblings_la": la_officer("380")}[who]
    url = f"/v1/cases/{case['id']}/legal-actions/{action_id}/withdraw"
    assert forbidden(await client.post(url, json={"reason": "not ours"}, headers=outsider))
    assert [a["status"] for a in await legal_actions(client, case)] == ["issued"]

    response = await client.post(url, json={"reason": "agreed"}, headers=la_officer("381"))
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")


async def test_the_named_pupils_school_staff_withdraw_a_legal_action(client, feed):
    _, there, case, action_id = await record_at_there(client, feed)
    url = f"/v1/cases/{case['id']}/legal-actions/{action_id}/withdraw"
    response = await client.post(url, json={"reason": "agreed"}, headers=staff(there))
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")


async def test_a_dual_registered_pupil_may_be_named_by_either_schools_staff(client, feed):
    email, (main, second), upn = new_email(), (new_urn(), new_urn()), new_upn()
    await feed.pupil(main, upn, email=email, la_code="380")
    await feed.pupil(second, upn, email=email, la_code="381")
    await feed.alert(main, upn, "persistent_absence")
    case = await only_case(client, upn)
    body = {"stage": "formalise_support", "reason": "contract next"}
    assert (await client.post(f"/v1/cases/{case['id']}/stage", json=body, headers=admin())).status_code == 200
    response = await client.post(
        f"/v1/cases/{case['id']}/legal-actions", json=contract_for(upn), headers=staff(second)
    )
    assert response.status_code == 201, response.text


async def test_staff_of_either_school_may_open_the_familys_case_naming_only_their_own_pupil(client, feed):
    here, there, case = await two_school_family(client, feed)
    sibling = {"pupils": [{"school_urn": there, "upn": upn_at(case, there)}], "stage": "monitor"}
    assert forbidden(await client.post("/v1/cases", json=sibling, headers=staff(here)))
    assert forbidden(await client.post("/v1/cases", json=sibling, headers=la_officer("380")))
    own = {"pupils": [{"school_urn": here, "upn": upn_at(case, here)}], "stage": "monitor"}
    response = await client.post("/v1/cases", json=own, headers=staff(here))
    assert (response.status_code, response.json()["id"]) == (200, case["id"])
