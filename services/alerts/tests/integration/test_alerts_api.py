"""The alerts API (api.md "Alerts", "Conventions"): listing, filters, paging, one alert, acknowledging.

Alerts are raised by feeding register events through the consumer's apply path into the same
database the app reads; every test works in fresh schools and pupils, so they share that database.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import pytest
from alerts_api_support import ACKNOWLEDGEMENT_FIELDS, ALERT_FIELDS, admin, n_for_each, other_school, staff
from alerts_support import new_upn, school_days

from alerts.rules import RULE_VERSION

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 2)
TUE = dt.date(2026, 11, 3)


async def listed(client: httpx.AsyncClient, **params: str | int) -> list[dict]:
    response = await client.get("/v1/alerts", params=params, headers=admin())
    assert response.status_code == 200, response.text
    return response.json()["alerts"]


async def only_alert(client: httpx.AsyncClient, upn: str) -> dict:
    (alert,) = await listed(client, upn=upn)
    return alert


# -- filters -------------------------------------------------------------------------------------


async def test_school_filter_lists_only_that_schools_alerts(client, feed):
    here, there = new_upn(), new_upn()
    elsewhere = other_school(feed)
    await feed.marks(here, [MON], "N")
    await elsewhere.marks(there, [MON], "N")
    alerts = await listed(client, school=feed.urn)
    assert [(a["school_urn"], a["upn"]) for a in alerts] == [(feed.urn, here)]


async def test_upn_filter_lists_only_that_pupils_alerts_whatever_the_case_of_the_upn(client, feed):
    upn, classmate = new_upn(), new_upn()
    await n_for_each(feed, [upn, classmate], MON)
    alerts = await listed(client, upn=upn.lower())
    assert [a["upn"] for a in alerts] == [upn]


async def test_type_filter_lists_only_alerts_of_that_type(client, feed):
    upn = new_upn()
    days = school_days(dt.date(2026, 9, 7), 15)
    await feed.marks(upn, days, "/", "\\")
    await feed.marks(upn, days[:3], "I", "I")  # amendments: 6 of 30 sessions absent, 20%
    await feed.marks(upn, [days[-1]], "N")
    assert {a["type"] for a in await listed(client, upn=upn)} == {"persistent_absence", "first_day_absence"}
    alerts = await listed(client, upn=upn, type="persistent_absence")
    assert [a["type"] for a in alerts] == ["persistent_absence"]


async def test_status_defaults_to_open(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON, TUE], "N")
    await feed.amend(upn, TUE, "AM", "N", "I")
    alerts = await listed(client, upn=upn)
    assert [(a["date"], a["status"]) for a in alerts] == [(MON.isoformat(), "open")]


async def test_status_cleared_lists_only_cleared_alerts(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON, TUE], "N")
    await feed.amend(upn, TUE, "AM", "N", "I")
    alerts = await listed(client, upn=upn, status="cleared")
    assert [(a["date"], a["status"]) for a in alerts] == [(TUE.isoformat(), "cleared")]
    assert alerts[0]["cleared_at"] is not None


async def test_status_all_lists_open_and_cleared_alerts(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON, TUE], "N")
    await feed.amend(upn, TUE, "AM", "N", "I")
    alerts = await listed(client, upn=upn, status="all")
    assert sorted((a["date"], a["status"]) for a in alerts) == [
        (MON.isoformat(), "open"),
        (TUE.isoformat(), "cleared"),
    ]


async def test_an_unknown_status_is_422(client):
    response = await client.get("/v1/alerts", params={"status": "closed"}, headers=admin())
    assert response.status_code == 422


# -- paging --------------------------------------------------------------------------------------


async def test_pages_follow_next_through_every_alert_once(client, feed):
    upns = [new_upn() for _ in range(7)]
    await n_for_each(feed, upns, MON)  # one batch: all seven share raised_at, so the cursor needs the id
    seen: list[str] = []
    pages: list[int] = []
    params: dict[str, str | int] = {"school": feed.urn, "limit": 3}
    while True:
        body = (await client.get("/v1/alerts", params=params, headers=admin())).json()
        seen += [a["id"] for a in body["alerts"]]
        pages.append(len(body["alerts"]))
        if body["next"] is None:
            break
        params["after"] = body["next"]
    assert pages == [3, 3, 1]
    assert len(set(seen)) == len(seen) == 7
    assert {a["id"] for a in await listed(client, school=feed.urn)} == set(seen)


async def test_a_page_that_holds_the_last_alert_has_no_next(client, feed):
    await n_for_each(feed, [new_upn() for _ in range(3)], MON)
    body = (await client.get("/v1/alerts", params={"school": feed.urn, "limit": 3}, headers=admin())).json()
    assert (len(body["alerts"]), body["next"]) == (3, None)


async def test_limit_defaults_to_100(client, feed):
    await n_for_each(feed, [new_upn() for _ in range(101)], MON)
    body = (await client.get("/v1/alerts", params={"school": feed.urn}, headers=admin())).json()
    assert len(body["alerts"]) == 100
    assert body["next"] is not None


async def test_a_limit_over_1000_is_422(client):
    response = await client.get("/v1/alerts", params={"limit": 1001}, headers=admin())
    assert response.status_code == 422


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        base64.urlsafe_b64encode(json.dumps([1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["yesterday", "x"]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"after": 1}).encode()).decode(),
    ],
    ids=["garbage", "one-value", "not-a-time", "object"],
)
async def test_a_cursor_the_service_did_not_give_out_is_400_bad_cursor(client, cursor):
    response = await client.get("/v1/alerts", params={"after": cursor}, headers=admin())
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "bad_cursor"


# -- one alert -----------------------------------------------------------------------------------


async def test_get_one_alert_by_id(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N")
    listed_alert = await only_alert(client, upn)
    response = await client.get(f"/v1/alerts/{listed_alert['id']}", headers=admin())
    assert response.status_code == 200
    assert response.json() == listed_alert


async def test_an_unknown_alert_is_404_unknown_alert(client):
    response = await client.get("/v1/alerts/00000000-0000-0000-0000-000000000000", headers=admin())
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_alert"


async def test_an_alert_has_the_fields_api_md_names(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N")
    alert = await only_alert(client, upn)
    assert set(alert) == ALERT_FIELDS | ACKNOWLEDGEMENT_FIELDS
    assert set(alert["evidence"]) == {"figures", "marks"}
    assert alert["evidence"]["marks"] == [{"date": MON.isoformat(), "session": "AM", "code": "N"}]
    assert isinstance(alert["evidence"]["figures"], dict)
    assert (alert["type"], alert["school_urn"], alert["upn"], alert["date"]) == (
        "first_day_absence",
        feed.urn,
        upn,
        MON.isoformat(),
    )
    assert (alert["status"], alert["cleared_at"], alert["rule_version"]) == ("open", None, RULE_VERSION)
    assert dt.datetime.fromisoformat(alert["raised_at"]).utcoffset() == dt.timedelta(0)


async def test_a_rate_alert_has_no_date_and_figures_with_rate_numerator_denominator_window(client, feed):
    upn = new_upn()
    days = school_days(dt.date(2026, 9, 7), 15)
    await feed.marks(upn, days[:12], "/", "\\")
    await feed.marks(upn, days[12:], "I", "\\")
    (alert,) = await listed(client, upn=upn, type="persistent_absence")
    figures = alert["evidence"]["figures"]
    assert alert["date"] is None
    assert (figures["numerator"], figures["denominator"]) == (3, 30)
    assert figures["rate"] == pytest.approx(0.1)
    assert figures["window"] == {"from": "2026-09-01", "to": days[-1].isoformat()}
    assert [m["code"] for m in alert["evidence"]["marks"]] == ["I", "I", "I"]


# -- acknowledging -------------------------------------------------------------------------------


async def test_acknowledging_records_who_when_and_the_note_and_the_alert_stays_open(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N")
    alert = await only_alert(client, upn)
    before = dt.datetime.now(dt.UTC)
    response = await client.post(
        f"/v1/alerts/{alert['id']}/acknowledge", json={"note": "Rang home: ill"}, headers=staff(feed.urn)
    )
    assert response.status_code == 200, response.text
    acknowledged = response.json()
    assert acknowledged["acknowledged_by"] == f"staff-{feed.urn}"
    assert acknowledged["acknowledgement_note"] == "Rang home: ill"
    assert dt.datetime.fromisoformat(acknowledged["acknowledged_at"]) >= before - dt.timedelta(seconds=1)
    assert (acknowledged["status"], acknowledged["cleared_at"]) == ("open", None)


async def test_acknowledging_an_acknowledged_alert_answers_200_with_the_first_acknowledgement(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N")
    alert = await only_alert(client, upn)
    url = f"/v1/alerts/{alert['id']}/acknowledge"
    first = await client.post(url, json={"note": "Rang home: ill"}, headers=staff(feed.urn))
    again = await client.post(url, json={"note": "seen again"}, headers=admin())
    assert (first.status_code, again.status_code) == (200, 200)
    fields = ("acknowledged_at", "acknowledged_by", "acknowledgement_note")
    assert [again.json()[f] for f in fields] == [first.json()[f] for f in fields]
    assert again.json()["acknowledgement_note"] == "Rang home: ill"
    kept = (await client.get(url.removesuffix("/acknowledge"), headers=admin())).json()
    assert [kept[f] for f in fields] == [first.json()[f] for f in fields]


async def test_an_acknowledgement_is_kept(client, feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N")
    alert = await only_alert(client, upn)
    await client.post(f"/v1/alerts/{alert['id']}/acknowledge", json={"note": "seen"}, headers=admin())
    kept = (await client.get(f"/v1/alerts/{alert['id']}", headers=admin())).json()
    assert (kept["acknowledged_by"], kept["acknowledgement_note"]) == ("admin-user", "seen")
    assert [a["id"] for a in await listed(client, upn=upn)] == [alert["id"]]
