"""The automatic steps alerts take (api.md "Casework"), and that they never go past support."""

from __future__ import annotations

import pytest
from casework_support import RAISED, admin, new_email, new_upn, new_urn, only_case

from attendance_common.events.alerts import AlertCleared

pytestmark = pytest.mark.integration
LA_REFERRAL = "local_authority"


async def family(feed, size: int = 1) -> tuple[str, list[str]]:
    email, urn, upns = new_email(), new_urn(), [new_upn() for _ in range(size)]
    for upn in upns:
        await feed.pupil(urn, upn, email=email)
    return urn, upns


async def move(client, case_id: str, stage: str) -> None:
    body = {"stage": stage, "reason": "family meeting"}
    response = await client.post(f"/v1/cases/{case_id}/stage", json=body, headers=admin())
    assert response.status_code == 200, response.text


async def test_persistent_absence_opens_a_case_at_listen_and_understand(client, feed):
    urn, (upn,) = await family(feed)
    alert = await feed.alert(urn, upn, "persistent_absence")
    case = await only_case(client, upn)
    assert (case["status"], case["stage"], case["referrals"]) == ("open", "listen_and_understand", [])
    assert [(a["id"], a["type"], a["status"]) for a in case["alerts"]] == [
        (alert.alert_id, "persistent_absence", "open")
    ]
    (opened,) = case["history"]
    assert (opened["stage"], opened["reason"], opened["by"]) == (
        "listen_and_understand",
        "persistent_absence",
        "system",
    )


async def test_persistent_absence_raises_a_case_below_listen_and_understand(client, feed):
    urn, (upn,) = await family(feed)
    body = {"pupils": [{"school_urn": urn, "upn": upn}], "stage": "monitor", "reason": "watching"}
    assert (await client.post("/v1/cases", json=body, headers=admin())).status_code == 201
    await feed.alert(urn, upn, "persistent_absence")
    case = await only_case(client, upn)
    assert [h["stage"] for h in case["history"]] == ["monitor", "listen_and_understand"]


async def test_persistent_absence_leaves_a_case_at_a_higher_stage_where_it_is(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "severe_absence")
    await feed.alert(urn, upn, "persistent_absence")
    assert (await only_case(client, upn))["stage"] == "facilitate_support"


async def test_severe_absence_opens_at_facilitate_support_and_refers_to_the_la(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "severe_absence")
    case = await only_case(client, upn)
    assert case["stage"] == "facilitate_support"
    assert [(r["to"], r["reason"], r["upn"]) for r in case["referrals"]] == [
        (LA_REFERRAL, "severe_absence", upn)
    ]
    types = [row.event_type for row in await feed.outbox(case["id"])]
    assert types == ["attendance.case.opened", "attendance.referral.made"]


async def test_severe_absence_raises_an_open_case_and_says_why(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "persistent_absence")
    await feed.alert(urn, upn, "severe_absence")
    case = await only_case(client, upn)
    assert [(h["stage"], h["reason"]) for h in case["history"]] == [
        ("listen_and_understand", "persistent_absence"),
        ("facilitate_support", "severe_absence"),
    ]
    rows = await feed.outbox(case["id"])
    changed = next(r for r in rows if r.event_type == "attendance.case.stage_changed")
    assert (
        '"from_stage":"listen_and_understand"' in changed.data
        and '"to_stage":"facilitate_support"' in changed.data
    )


async def test_ten_day_unauthorised_refers_to_the_la_without_moving_the_stage(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "persistent_absence")
    await feed.alert(urn, upn, "ten_day_unauthorised")
    case = await only_case(client, upn)
    assert case["stage"] == "listen_and_understand"
    assert [r["reason"] for r in case["referrals"]] == ["ten_day_unauthorised"]


async def test_ten_day_unauthorised_alone_opens_a_case_to_hold_the_referral(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "ten_day_unauthorised")
    case = await only_case(client, upn)
    assert case["stage"] == "monitor"
    assert [r["reason"] for r in case["referrals"]] == ["ten_day_unauthorised"]


@pytest.mark.parametrize("stage", ["formalise_support", "enforce"])
async def test_automation_never_moves_a_case_out_of_formalise_or_enforce(client, feed, stage):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "persistent_absence")
    await move(client, (await only_case(client, upn))["id"], stage)
    await feed.alert(urn, upn, "severe_absence")
    case = await only_case(client, upn)
    assert case["stage"] == stage
    assert [r["reason"] for r in case["referrals"]] == ["severe_absence"]


async def test_alerts_that_take_no_step_open_no_case(client, feed):
    urn, (upn,) = await family(feed)
    for kind in ("first_day_absence", "overdue_n", "penalty_threshold", "fifteen_day_illness"):
        await feed.alert(urn, upn, kind)
    response = await client.get("/v1/cases", params={"upn": upn}, headers=admin())
    assert response.json()["cases"] == []


async def test_other_alerts_of_the_family_are_linked_to_its_open_case(client, feed):
    urn, (ada, byron) = await family(feed, 2)
    earlier = await feed.alert(urn, byron, "first_day_absence")
    await feed.alert(urn, ada, "persistent_absence")
    later = await feed.alert(urn, ada, "penalty_threshold")
    case = await only_case(client, ada)
    assert {earlier.alert_id, later.alert_id} <= {a["id"] for a in case["alerts"]}


async def test_a_cleared_alert_stays_on_the_case_shown_as_cleared(client, feed):
    urn, (upn,) = await family(feed)
    alert = await feed.alert(urn, upn, "persistent_absence")
    await feed.clear(alert)
    case = await only_case(client, upn)
    ((status, cleared_at),) = [(a["status"], a["cleared_at"]) for a in case["alerts"]]
    assert status == "cleared" and cleared_at is not None
    assert case["stage"] == "listen_and_understand"  # clearing never moves the case back by itself


async def test_a_new_alert_after_the_case_closed_opens_a_new_case(client, feed):
    urn, (upn,) = await family(feed)
    await feed.alert(urn, upn, "persistent_absence")
    first = await only_case(client, upn)
    body = {"outcome": "attendance_improved", "note": None}
    assert (
        await client.post(f"/v1/cases/{first['id']}/close", json=body, headers=admin())
    ).status_code == 200
    await feed.alert(urn, upn, "persistent_absence")
    second = await only_case(client, upn)
    assert second["id"] != first["id"]


async def test_a_run_of_alerts_fetched_together_takes_the_steps_each_would_alone(client, feed):
    urn, (watched, sibling) = await family(feed, 2)
    persistent = await feed.alert(urn, watched, "persistent_absence")  # the family's case is open
    unknown = new_upn()  # no pupil event yet: its alerts make it a family of one
    first_day = feed.raised(urn, sibling, "first_day_absence")
    severe = feed.raised(urn, unknown, "severe_absence")
    after_severe = feed.raised(urn, unknown, "first_day_absence")
    await feed.send_run(first_day, severe, after_severe, severe, persistent)  # two already applied

    case = await only_case(client, watched)
    assert (case["stage"], case["referrals"]) == ("listen_and_understand", [])
    assert {a["id"] for a in case["alerts"]} == {persistent.alert_id, first_day.alert_id}
    opened = await only_case(client, unknown)
    assert opened["id"] != case["id"] and opened["stage"] == "facilitate_support"
    assert [(r["reason"], r["upn"]) for r in opened["referrals"]] == [("severe_absence", unknown)]
    assert {a["id"] for a in opened["alerts"]} == {severe.alert_id, after_severe.alert_id}


async def test_a_run_of_cleared_alerts_shows_each_cleared(client, feed):
    urn, (ada, byron) = await family(feed, 2)
    raised = [await feed.alert(urn, upn, "persistent_absence") for upn in (ada, byron)]
    cleared = [
        AlertCleared(**r.model_dump(exclude={"evidence"}), cleared_at=RAISED, reason="amended")
        for r in raised
    ]
    await feed.send_run(*cleared)
    case = await only_case(client, ada)
    assert sorted(a["status"] for a in case["alerts"]) == ["cleared", "cleared"]
