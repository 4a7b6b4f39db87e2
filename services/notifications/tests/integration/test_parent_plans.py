"""Parents see their family's plans (api.md Part 2): notifications keeps its own projection of the
plan events, tells the parents when a plan starts (`plan_agreed`), and answers `GET /v1/parent/plans`."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from notifications_support import NOW, THREATS, Feed, auth, contact, new_upn

from attendance_common.events.casework import (
    CasePupil,
    PlanAgreed,
    PlanEnded,
    PlanLead,
    PlanReviewed,
    PlanTarget,
)

pytestmark = pytest.mark.integration
REVIEW = dt.date(2027, 1, 15)
TARGET_BY = dt.date(2027, 2, 12)
TARGETS = [{"description": "In school every Monday", "attendance_rate": 0.9, "by": TARGET_BY.isoformat()}]


def agreed(feed: Feed, *upns: str, plan_id: str | None = None) -> PlanAgreed:
    return PlanAgreed(
        case_id=str(uuid.uuid4()),
        family_key=f"fam_{feed.tag}",
        pupils=[CasePupil(school_urn=feed.urn, upn=upn, la_code=feed.la_code) for upn in upns],
        plan_id=plan_id or str(uuid.uuid4()),
        kind="joint_school_la",
        lead=PlanLead(name="Sam Patel", role="Attendance officer", organisation="LA 380"),
        targets=[
            PlanTarget(description="In school every Monday", attendance_rate=0.9, by=dt.date(2027, 2, 12))
        ],
        review_on=REVIEW,
        agreed_with_family=True,
        agreed_at=NOW,
        by="la-380",
    )


async def family(feed: Feed, *names: str) -> tuple[list[str], dict[str, str]]:
    """Children `names` sharing mum (priority 1) and dad (priority 2)."""
    await feed.school()
    people = {"mum": feed.email("mum"), "dad": feed.email("dad")}
    upns = []
    for name in names:
        upn = new_upn()
        await feed.pupil(
            upn,
            [
                contact("c1", "Mum", people["mum"], priority=1),
                contact("c2", "Dad", people["dad"], priority=2),
            ],
            given_name=name,
        )
        upns.append(upn)
    return upns, people


def parent(email: str) -> dict[str, str]:
    return auth("parent", sub=email, email=email)


async def plans_of(client, email: str) -> list[dict]:
    response = await client.get("/v1/parent/plans", headers=parent(email))
    assert response.status_code == 200, response.text
    return response.json()["plans"]


async def test_a_parent_sees_the_active_plan_of_each_child_in_the_family(client, feed):
    (ada, byron), people = await family(feed, "Ada", "Byron")
    plan = agreed(feed, ada, byron)
    await feed.send(plan, source="casework")

    shown = await plans_of(client, people["dad"])

    assert [(p["id"], p["upn"]) for p in shown] == sorted([(plan.plan_id, ada), (plan.plan_id, byron)])
    first = shown[0]
    assert (first["kind"], first["lead"], first["review_on"]) == (
        "joint_school_la",
        {"name": "Sam Patel", "role": "Attendance officer"},
        REVIEW.isoformat(),
    )
    assert first["targets"] == [
        {"description": "In school every Monday", "attendance_rate": 0.9, "by": "2027-02-12"}
    ]


async def test_a_review_moves_the_next_review_on_and_an_ended_plan_is_no_longer_shown(client, feed):
    (ada,), people = await family(feed, "Ada")
    plan = agreed(feed, ada)
    await feed.send(plan, source="casework")
    about = plan.model_dump(include={"case_id", "family_key", "pupils", "plan_id", "kind"})
    later = REVIEW + dt.timedelta(days=28)
    await feed.send(
        PlanReviewed(
            **about,
            review_id=str(uuid.uuid4()),
            held_on=REVIEW,
            progress="improving",
            review_on=later,
            reviewed_at=NOW,
        ),
        source="casework",
    )
    assert [p["review_on"] for p in await plans_of(client, people["mum"])] == [later.isoformat()]

    await feed.send(PlanEnded(**about, outcome="attendance_improved", ended_at=NOW), source="casework")

    assert await plans_of(client, people["mum"]) == []


async def test_another_parent_sees_none_of_the_familys_plans(client, feed):
    (ada,), _ = await family(feed, "Ada")
    await feed.send(agreed(feed, ada), source="casework")
    assert await plans_of(client, feed.email("stranger")) == []


async def test_a_plan_agreed_tells_each_parent_once_by_app_and_email_in_support_first_words(client, feed):
    (ada,), people = await family(feed, "Ada")
    plan = agreed(feed, ada)
    received = await feed.send(plan, source="casework")
    await feed.deliver(received.event)  # delivered again: still one message each

    routed = await feed.routed(ada)
    messages = await feed.messages(ada)

    assert routed == sorted(
        ("parent", people[who], channel, status)
        for who in ("mum", "dad")
        for channel, status in (("app", "sent"), ("email", "pending"))
    )
    assert sorted(m.parent_email for m in messages) == sorted(people.values())
    message = messages[0]
    assert message.kind == "plan_agreed"
    assert message.title == "A plan to support Ada's attendance"
    assert "Sam Patel (Attendance officer)" in message.body and "In school every Monday" in message.body
    assert "Friday 15 January 2027" in message.body
    assert not [word for word in THREATS if word in message.body.lower()]
    feed_page = (await client.get("/v1/parent/messages", headers=parent(people["mum"]))).json()["messages"]
    assert [(m["kind"], m["upn"]) for m in feed_page] == [("plan_agreed", ada)]


async def test_parent_plans_are_for_parents(client):
    for role, claims in (("school_staff", {"schools": ["100001"]}), ("la_officer", {"la": "380"})):
        response = await client.get("/v1/parent/plans", headers=auth(role, **claims))
        assert response.status_code == 403
