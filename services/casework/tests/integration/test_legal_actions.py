"""Legal actions within the national framework (api.md "Casework", domain.md 7): every rule, and the
problem `code` that names it when it refuses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
import pytest
from casework_support import Feed, admin, new_email, new_upn, new_urn, parent

pytestmark = pytest.mark.integration
FIRST = [{"due_within_days": 21, "amount_gbp": 80}, {"due_within_days": 28, "amount_gbp": 160}]
SECOND = [{"due_within_days": 28, "amount_gbp": 160}]


@dataclass
class Family:
    client: httpx.AsyncClient
    feed: Feed
    urn: str
    upns: list[str]
    email: str
    case_id: str

    async def record(self, kind: str = "penalty_notice", **fields) -> httpx.Response:
        body = {"type": kind, "upn": self.upns[0], "parent_contact_id": "c1", "issued_on": "2025-03-03"}
        body.update(fields)
        return await self.client.post(f"/v1/cases/{self.case_id}/legal-actions", json=body, headers=admin())

    async def penalty(self, issued_on: str, **fields) -> httpx.Response:
        return await self.record(issued_on=issued_on, **fields)

    async def to_stage(self, stage: str) -> None:
        body = {"stage": stage, "reason": "review"}
        response = await self.client.post(f"/v1/cases/{self.case_id}/stage", json=body, headers=admin())
        assert response.status_code == 200, response.text

    async def withdraw(self, action_id: str) -> httpx.Response:
        url = f"/v1/cases/{self.case_id}/legal-actions/{action_id}/withdraw"
        return await self.client.post(url, json={"reason": "paid in error"}, headers=admin())


async def family_case(
    client, feed, *, stage: str = "enforce", threshold: bool = True, children: int = 1
) -> Family:
    """A family: c1 a parent with an email, c2 a parent without one, c3 no parental responsibility."""
    email, urn, upns = new_email(), new_urn(), [new_upn() for _ in range(children)]
    for upn in upns:
        await feed.pupil(
            urn,
            upn,
            parent(email),
            parent(None, contact_id="c2", priority=2),
            parent(None, contact_id="c3", pr=False),
        )
        if threshold:
            await feed.alert(urn, upn, "penalty_threshold")
    body = {"pupils": [{"school_urn": urn, "upn": upns[0]}], "stage": stage, "reason": "no engagement"}
    response = await client.post("/v1/cases", json=body, headers=admin())
    assert response.status_code == 201, response.text
    return Family(client, feed, urn, upns, email, response.json()["id"])


def refused(response: httpx.Response, status: int, code: str) -> bool:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return (response.status_code, response.json()["code"]) == (status, code)


async def test_a_first_penalty_notice_is_80_in_21_days_else_160_in_28(client, feed):
    family = await family_case(client, feed)
    response = await family.penalty("2025-01-06")
    assert response.status_code == 201, response.text
    assert response.json()["amounts"] == FIRST


async def test_a_second_within_3_years_is_a_flat_160(client, feed):
    family = await family_case(client, feed)
    await family.penalty("2025-01-06")
    response = await family.penalty("2026-02-02")
    assert (response.status_code, response.json()["amounts"]) == (201, SECOND)


async def test_a_third_within_3_years_is_refused_penalty_notice_limit_reached(client, feed):
    family = await family_case(client, feed)
    await family.penalty("2025-01-06")
    await family.penalty("2025-06-02")
    assert refused(await family.penalty("2026-02-02"), 409, "penalty_notice_limit_reached")
    case = (await client.get(f"/v1/cases/{family.case_id}", headers=admin())).json()
    assert len(case["legal_actions"]) == 2


async def test_withdrawn_notices_do_not_count(client, feed):
    family = await family_case(client, feed)
    await family.penalty("2025-01-06")
    second = (await family.penalty("2025-06-02")).json()
    withdrawn = await family.withdraw(second["id"])
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "withdrawn")
    response = await family.penalty("2026-02-02")
    assert (response.status_code, response.json()["amounts"]) == (201, SECOND)


async def test_withdrawing_twice_is_409_already_withdrawn(client, feed):
    family = await family_case(client, feed)
    notice = (await family.penalty("2025-01-06")).json()
    await family.withdraw(notice["id"])
    assert refused(await family.withdraw(notice["id"]), 409, "already_withdrawn")
    events = [
        r for r in await feed.outbox(family.case_id) if r.event_type == "attendance.legal_action.recorded"
    ]
    assert ['"status":"issued"' in r.data for r in events] == [True, False]
    assert '"status":"withdrawn"' in events[-1].data


async def test_limits_count_per_child(client, feed):
    family = await family_case(client, feed, children=2)
    await family.penalty("2025-01-06")
    await family.penalty("2025-06-02")
    sibling = await family.penalty("2025-06-02", upn=family.upns[1])
    assert (sibling.status_code, sibling.json()["amounts"]) == (201, FIRST)


async def test_limits_count_per_parent(client, feed):
    family = await family_case(client, feed)
    await family.penalty("2025-01-06")
    await family.penalty("2025-06-02")
    other_parent = await family.penalty("2025-06-02", parent_contact_id="c2")
    assert (other_parent.status_code, other_parent.json()["amounts"]) == (201, FIRST)


async def test_a_parent_is_known_by_email_whatever_their_contact_id(client, feed):
    family = await family_case(client, feed)
    await family.penalty("2025-01-06")
    await feed.pupil(family.urn, family.upns[0], parent(family.email.upper(), contact_id="mum"))
    response = await family.penalty("2025-06-02", parent_contact_id="mum")
    assert (response.status_code, response.json()["amounts"]) == (201, SECOND)


async def test_a_penalty_notice_needs_the_case_at_enforce(client, feed):
    family = await family_case(client, feed, stage="formalise_support")
    assert refused(await family.penalty("2025-01-06"), 409, "case_not_at_enforce")


async def test_a_penalty_notice_needs_the_threshold_met(client, feed):
    family = await family_case(client, feed, threshold=False)
    assert refused(await family.penalty("2025-01-06", reason="absence"), 409, "penalty_threshold_not_met")


async def test_a_cleared_threshold_alert_no_longer_meets_the_threshold(client, feed):
    family = await family_case(client, feed, threshold=False)
    alert = await feed.alert(family.urn, family.upns[0], "penalty_threshold")
    await feed.clear(alert)
    assert refused(await family.penalty("2025-01-06"), 409, "penalty_threshold_not_met")


async def test_a_term_time_holiday_needs_no_threshold(client, feed):
    family = await family_case(client, feed, threshold=False)
    response = await family.penalty("2025-01-06", reason="holiday")
    assert (response.status_code, response.json()["amounts"]) == (201, FIRST)


async def test_issued_on_in_the_future_is_422(client, feed):
    family = await family_case(client, feed)
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert refused(await family.penalty(tomorrow), 422, "future_date")


async def test_notices_before_the_national_framework_are_refused(client, feed):
    family = await family_case(client, feed)
    assert refused(await family.penalty("2024-08-18"), 422, "penalty_notice_before_framework")


@pytest.mark.parametrize("kind", ["attendance_contract", "education_supervision_order"])
async def test_formalising_support_needs_at_least_formalise_support(client, feed, kind):
    family = await family_case(client, feed, stage="facilitate_support")
    assert refused(await family.record(kind), 409, "case_not_at_formalise_support")
    await family.to_stage("formalise_support")
    assert (await family.record(kind)).status_code == 201


async def test_an_education_supervision_order_lasts_12_months(client, feed):
    family = await family_case(client, feed, stage="formalise_support")
    response = await family.record(
        "education_supervision_order", parent_contact_id=None, issued_on="2025-03-31"
    )
    assert response.json()["details"] == {"expires_on": "2026-03-31"}


@pytest.mark.parametrize("kind", ["notice_to_improve", "prosecution", "school_attendance_order"])
async def test_enforcement_needs_the_case_at_enforce(client, feed, kind):
    family = await family_case(client, feed, stage="formalise_support")
    assert refused(await family.record(kind), 409, "case_not_at_enforce")


@pytest.mark.parametrize("weeks", [2, 7, None])
async def test_a_notice_to_improve_sets_3_to_6_school_weeks(client, feed, weeks):
    family = await family_case(client, feed)
    response = await family.record("notice_to_improve", improvement_period_weeks=weeks)
    assert refused(response, 422, "improvement_period_out_of_range")


async def test_a_notice_to_improve_within_the_period_is_recorded(client, feed):
    family = await family_case(client, feed)
    response = await family.record("notice_to_improve", improvement_period_weeks=6)
    assert (response.status_code, response.json()["details"]) == (201, {"improvement_period_weeks": 6})


async def test_a_notice_to_improve_is_not_for_holidays(client, feed):
    family = await family_case(client, feed)
    response = await family.record("notice_to_improve", improvement_period_weeks=4, reason="Holiday")
    assert refused(response, 422, "notice_to_improve_not_for_holidays")


@pytest.mark.parametrize(("section", "fine"), [("s444(1)", 1000), ("s444(1A)", 2500)])
async def test_a_prosecution_is_under_s444_1_or_1a(client, feed, section, fine):
    family = await family_case(client, feed)
    response = await family.record("prosecution", section=section)
    assert (response.status_code, response.json()["details"]["maximum_fine_gbp"]) == (201, fine)


@pytest.mark.parametrize("section", [None, "s443"])
async def test_a_prosecution_under_another_section_is_refused(client, feed, section):
    family = await family_case(client, feed)
    assert refused(await family.record("prosecution", section=section), 422, "unknown_prosecution_section")


async def test_a_school_attendance_order_needs_15_days_notice(client, feed):
    family = await family_case(client, feed)
    sao = "school_attendance_order"
    assert refused(await family.record(sao), 422, "sao_notice_required")
    short = await family.record(sao, issued_on="2025-03-03", notice_served_on="2025-02-20")
    assert refused(short, 422, "sao_notice_period_not_met")
    enough = await family.record(sao, issued_on="2025-03-03", notice_served_on="2025-02-16")
    assert enough.status_code == 201


async def test_the_pupil_must_be_in_the_case(client, feed):
    family = await family_case(client, feed)
    assert refused(await family.penalty("2025-01-06", upn=new_upn()), 422, "pupil_not_in_case")


async def test_the_parent_must_be_a_contact_with_parental_responsibility(client, feed):
    family = await family_case(client, feed)
    assert refused(await family.penalty("2025-01-06", parent_contact_id="zz"), 422, "unknown_parent_contact")
    no_pr = await family.penalty("2025-01-06", parent_contact_id="c3")
    assert refused(no_pr, 422, "contact_without_parental_responsibility")
    assert refused(await family.penalty("2025-01-06", parent_contact_id=None), 422, "parent_contact_required")


async def test_an_unknown_type_is_422(client, feed):
    family = await family_case(client, feed)
    assert (await family.record("caution")).status_code == 422


async def test_the_legal_action_event_is_keyed_by_family_and_names_no_email(client, feed):
    family = await family_case(client, feed)
    await family.penalty("2025-01-06")
    (row,) = [
        r for r in await feed.outbox(family.case_id) if r.event_type == "attendance.legal_action.recorded"
    ]
    case = (await client.get(f"/v1/cases/{family.case_id}", headers=admin())).json()
    assert row.key == case["family_key"]
    assert family.email not in row.data and '"amount_gbp":80' in row.data
