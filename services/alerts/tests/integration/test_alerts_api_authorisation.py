"""Who may read and act on which alerts (api.md "Auth"): each role sees only its own scope."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from alerts_api_support import admin, auth, other_school, pupil_with_social_worker, staff
from alerts_support import new_upn

from attendance_common.auth import mint_token

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 2)


async def alert_of(client: httpx.AsyncClient, upn: str) -> dict:
    """The pupil's one open alert, as an admin sees it."""
    (alert,) = (await client.get("/v1/alerts", params={"upn": upn}, headers=admin())).json()["alerts"]
    return alert


async def visible(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> set[str]:
    """UPNs of the open alerts the caller is shown (all pages)."""
    upns: set[str] = set()
    query: dict[str, str | int] = {"limit": 1000, **params}
    while True:
        response = await client.get("/v1/alerts", params=query, headers=headers)
        assert response.status_code == 200, response.text
        upns |= {a["upn"] for a in response.json()["alerts"]}
        if response.json()["next"] is None:
            return upns
        query["after"] = response.json()["next"]


async def test_no_token_is_401(client):
    response = await client.get("/v1/alerts")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_token_signed_with_another_secret_is_401(client):
    token = mint_token(secret="another-secret-of-at-least-32-bytes!!", sub="x", role="admin")
    response = await client.get("/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [auth("mis", schools=["100001"]), auth("parent", email="parent@example.com")],
    ids=["mis", "parent"],
)
async def test_mis_and_parents_may_not_list_alerts(client, headers):
    response = await client.get("/v1/alerts", headers=headers)
    assert response.status_code == 403


async def test_school_staff_see_only_their_schools_alerts(client, feed):
    mine, theirs = new_upn(), new_upn()
    elsewhere = other_school(feed)
    await feed.marks(mine, [MON], "N")
    await elsewhere.marks(theirs, [MON], "N")
    assert await visible(client, staff(feed.urn)) == {mine}


async def test_school_staff_get_another_schools_alert_as_404(client, feed):
    upn = new_upn()
    elsewhere = other_school(feed)
    await elsewhere.marks(upn, [MON], "N")
    alert = await alert_of(client, upn)
    response = await client.get(f"/v1/alerts/{alert['id']}", headers=staff(feed.urn))
    assert response.status_code == 404


async def test_school_staff_cannot_acknowledge_another_schools_alert(client, feed):
    upn = new_upn()
    elsewhere = other_school(feed)
    await elsewhere.marks(upn, [MON], "N")
    alert = await alert_of(client, upn)
    response = await client.post(
        f"/v1/alerts/{alert['id']}/acknowledge", json={"note": "not mine"}, headers=staff(feed.urn)
    )
    assert response.status_code == 404
    assert (await alert_of(client, upn))["acknowledged_at"] is None


async def test_school_staff_of_several_schools_see_each_of_them(client, feed):
    mine, also_mine = new_upn(), new_upn()
    second = other_school(feed)
    await feed.marks(mine, [MON], "N")
    await second.marks(also_mine, [MON], "N")
    assert await visible(client, staff(feed.urn, second.urn)) == {mine, also_mine}


async def test_la_officers_see_their_las_schools_and_no_others(client, feed):
    in_la, outside = new_upn(), new_upn()
    other_la = other_school(feed, la_code="999")
    await feed.marks(in_la, [MON], "N")
    await other_la.marks(outside, [MON], "N")
    officer = auth("la_officer", la="380")
    seen = await visible(client, officer, school=feed.urn) | await visible(
        client, officer, school=other_la.urn
    )
    assert seen == {in_la}


async def test_la_officers_get_another_las_alert_as_404(client, feed):
    upn = new_upn()
    other_la = other_school(feed, la_code="999")
    await other_la.marks(upn, [MON], "N")
    alert = await alert_of(client, upn)
    response = await client.get(f"/v1/alerts/{alert['id']}", headers=auth("la_officer", la="380"))
    assert response.status_code == 404


async def test_la_officers_cannot_acknowledge_another_las_alert(client, feed):
    upn = new_upn()
    other_la = other_school(feed, la_code="999")
    await other_la.marks(upn, [MON], "N")
    alert = await alert_of(client, upn)
    response = await client.post(
        f"/v1/alerts/{alert['id']}/acknowledge",
        json={"note": "not ours"},
        headers=auth("la_officer", la="380"),
    )
    assert response.status_code == 404
    assert (await alert_of(client, upn))["acknowledged_at"] is None


async def test_social_workers_see_only_pupils_whose_social_worker_has_their_email(client, feed):
    theirs, not_theirs = new_upn(), new_upn()
    await pupil_with_social_worker(feed, theirs, f"Sam.Worker-{feed.urn}@LA.example")
    await feed.pupil(not_theirs)
    await feed.marks(theirs, [MON], "N")
    await feed.marks(not_theirs, [MON], "N")
    worker = auth("social_worker", email=f"sam.worker-{feed.urn}@la.example")
    assert await visible(client, worker) == {theirs}


async def test_social_workers_get_another_pupils_alert_as_404(client, feed):
    theirs, not_theirs = new_upn(), new_upn()
    await pupil_with_social_worker(feed, theirs, f"sam-{feed.urn}@la.example")
    await feed.marks(not_theirs, [MON], "N")
    alert = await alert_of(client, not_theirs)
    worker = auth("social_worker", email=f"sam-{feed.urn}@la.example")
    response = await client.get(f"/v1/alerts/{alert['id']}", headers=worker)
    assert response.status_code == 404


async def test_admins_see_every_schools_alerts(client, feed):
    here, there = new_upn(), new_upn()
    other_la = other_school(feed, la_code="999")
    await feed.marks(here, [MON], "N")
    await other_la.marks(there, [MON], "N")
    for upn in (here, there):
        alert = await alert_of(client, upn)
        assert (await client.get(f"/v1/alerts/{alert['id']}", headers=admin())).status_code == 200
