"""The automatic steps of api.md Part 2's two alerts: emerging absence opens (or joins) the family's
case at `monitor` at least; 20 school days of continuous absence raises it to `facilitate_support`
at least with the `children_missing_education_enquiry` referral to the LA."""

from __future__ import annotations

import pytest
from casework_support import admin, new_email, new_upn, new_urn, only_case

pytestmark = pytest.mark.integration
CME = "children_missing_education_enquiry"


async def family(feed, size: int = 1) -> tuple[str, list[str]]:
    email, urn, upns = new_email(), new_urn(), [new_upn() for _ in range(size)]
    for upn in upns:
        await feed.pupil(urn, upn, email=email)
    return urn, upns


async def test_emerging_absence_opens_the_familys_case_at_monitor(client, feed):
    urn, (upn,) = await family(feed)
    alert = await feed.alert(urn, upn, "emerging_absence")
    case = await only_case(client, upn)
    assert (case["status"], case["stage"], case["referrals"]) == ("open", "monitor", [])
    assert [(a["id"], a["type"]) for a in case["alerts"]] == [(alert.alert_id, "emerging_absence")]
    assert [(h["stage"], h["reason"], h["by"]) for h in case["history"]] == [
        ("monitor", "emerging_absence", "system")
    ]
    types = [row.event_type for row in await feed.outbox(case["id"])]
    assert types == ["attendance.case.opened"]


async def test_emerging_absence_joins_a_siblings_open_case_without_moving_it_back(client, feed):
    urn, (ada, byron) = await family(feed, 2)
    await feed.alert(urn, ada, "persistent_absence")
    await feed.alert(urn, byron, "emerging_absence")
    case = await only_case(client, byron)
    assert case["stage"] == "listen_and_understand"
    assert sorted(a["type"] for a in case["alerts"]) == ["emerging_absence", "persistent_absence"]
    assert [h["stage"] for h in case["history"]] == ["listen_and_understand"]


async def test_emerging_absence_raises_a_case_at_expect_to_monitor(client, feed):
    urn, (upn,) = await family(feed)
    body = {"pupils": [{"school_urn": urn, "upn": upn}], "stage": "expect", "reason": "new family"}
    assert (await client.post("/v1/cases", json=body, headers=admin())).status_code == 201
    await feed.alert(urn, upn, "emerging_absence")
    case = await only_case(client, upn)
    assert [(h["stage"], h["reason"]) for h in case["history"]] == [
        ("expect", "new family"),
        ("monitor", "emerging_absence"),
    ]


async def test_twenty_day_continuous_absence_opens_at_facilitate_support_with_the_cme_referral(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "twenty_day_continuous_absence")
    case = await only_case(client, upn)
    assert case["stage"] == "facilitate_support"
    assert [(r["to"], r["reason"], r["upn"]) for r in case["referrals"]] == [("local_authority", CME, upn)]
    types = [row.event_type for row in await feed.outbox(case["id"])]
    assert types == ["attendance.case.opened", "attendance.referral.made"]


async def test_twenty_day_continuous_absence_raises_an_emerging_case_and_says_why(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "emerging_absence")
    await feed.alert(urn, upn, "ten_day_unauthorised")
    await feed.alert(urn, upn, "twenty_day_continuous_absence")
    case = await only_case(client, upn)
    assert [(h["stage"], h["reason"]) for h in case["history"]] == [
        ("monitor", "emerging_absence"),
        ("facilitate_support", "twenty_day_continuous_absence"),
    ]
    assert [r["reason"] for r in case["referrals"]] == ["ten_day_unauthorised", CME]


@pytest.mark.parametrize("stage", ["formalise_support", "enforce"])
async def test_twenty_day_continuous_absence_never_moves_a_case_back_from_people_only_stages(
    client, feed, stage
):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "emerging_absence")
    case_id = (await only_case(client, upn))["id"]
    body = {"stage": stage, "reason": "support not engaged with"}
    assert (await client.post(f"/v1/cases/{case_id}/stage", json=body, headers=admin())).status_code == 200
    await feed.alert(urn, upn, "twenty_day_continuous_absence")
    case = await only_case(client, upn)
    assert case["stage"] == stage
    assert [r["reason"] for r in case["referrals"]] == [CME]


async def test_the_same_twenty_day_alert_delivered_again_refers_once(client, feed):
    urn, (upn,) = await family(feed)
    alert = await feed.alert(urn, upn, "twenty_day_continuous_absence")
    await feed.send(alert, source="alerts")  # the same alert again, under a new event id
    assert [r["reason"] for r in (await only_case(client, upn))["referrals"]] == [CME]
