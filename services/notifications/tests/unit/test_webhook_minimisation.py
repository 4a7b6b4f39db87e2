"""What an LA is sent carries a fixed field list per event type, whatever the internal event holds."""

from __future__ import annotations

import datetime as dt

from attendance_common.events.alerts import AlertCleared, AlertRaised, Evidence, EvidenceMark
from attendance_common.events.casework import (
    AgreedAction,
    CasePupil,
    MeetingAttendee,
    PlanAgreed,
    PlanEnded,
    PlanLead,
    PlanReviewed,
    PlanTarget,
    ReferralMade,
    SupportMeetingHeld,
)
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import Contact, PupilDeleted, SocialWorker
from notifications.delivery import la_events
from notifications.subscriptions import EVENT_TYPES

AT = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
ALERT_KEYS = {"alert_id", "type", "school_urn", "la_code", "upn", "date", "raised_at", "rule_version"}


def alert() -> AlertRaised:
    return AlertRaised(
        alert_id="a1",
        type="severe_absence",
        school_urn="100001",
        la_code="380",
        upn="A801200115001",
        date=None,
        raised_at=AT,
        rule_version="2024.1",
        evidence=Evidence(
            figures={"rate": 0.6}, marks=[EvidenceMark(date=AT.date(), session="AM", code="N")]
        ),
    )


def family_referral(upn: str | None) -> ReferralMade:
    return ReferralMade(
        case_id="c1",
        family_key="fam_1",
        pupils=[
            CasePupil(school_urn="100001", upn="A801200115001", la_code="380"),
            CasePupil(school_urn="200002", upn="B801200115002", la_code="381"),
            CasePupil(school_urn="100001", upn="C801200115003", la_code="380"),
        ],
        to="local_authority",
        reason="severe_absence",
        upn=upn,
        made_at=AT,
    )


def test_every_type_an_la_can_subscribe_to_has_a_shape():
    assert set(EVENT_TYPES) == set(la_events.SHAPES) == {
        "attendance.alert.raised", "attendance.alert.cleared",
        "attendance.referral.made", "attendance.pupil.deleted",
        "attendance.plan.agreed", "attendance.plan.reviewed", "attendance.plan.ended",
        "attendance.support_meeting.held",
    }  # fmt: skip


def test_a_raised_alert_keeps_only_the_fields_api_md_lists():
    (item,) = la_events.alert_raised(alert())
    assert set(item.data.model_dump()) == ALERT_KEYS
    assert (item.la_code, item.upn) == ("380", "A801200115001")


def test_a_cleared_alert_adds_only_when_it_cleared():
    cleared = AlertCleared(**alert().model_dump(exclude={"evidence"}), cleared_at=AT, reason="amended")
    (item,) = la_events.alert_cleared(cleared)
    assert set(item.data.model_dump()) == {*ALERT_KEYS, "cleared_at"}


def test_a_referral_names_only_the_referred_pupil_to_its_own_la():
    (item,) = la_events.referral_made(family_referral("B801200115002"))
    assert item.data.model_dump(mode="json") == {
        "case_id": "c1",
        "reason": "severe_absence",
        "to": "local_authority",
        "school_urn": "200002",
        "la_code": "381",
        "upn": "B801200115002",
        "made_at": "2026-11-16T09:00:00Z",
    }
    assert item.la_code == "381"


def test_a_family_referral_tells_each_la_of_its_own_pupils_one_at_a_time():
    named = la_events.referral_made(family_referral(None))
    assert [(i.la_code, i.upn) for i in named] == [
        ("380", "A801200115001"), ("381", "B801200115002"), ("380", "C801200115003")
    ]  # fmt: skip
    assert all(i.data.model_dump()["la_code"] == i.la_code for i in named)


def test_a_referral_naming_a_pupil_outside_the_case_tells_no_one():
    assert la_events.referral_made(family_referral("Z801200115009")) == []


def test_a_deletion_notice_gives_the_la_what_domain_md_asks_and_no_more():
    deleted = PupilDeleted(
        school_urn="100001",
        la_code="380",
        upn="A801200115001",
        given_name="Ada",
        family_name="Lovelace",
        date_of_birth=dt.date(2015, 3, 1),
        ground="moved_away",
        date=AT.date(),
        note="Family moved to Leeds",
        contacts=[Contact(contact_id="c1", name="Mum", email="m@x.example", phone="07700900001")],
        social_worker=SocialWorker(name="Sam", email="sam@x.example"),
    )
    (item,) = la_events.pupil_deleted(deleted)
    data = item.data.model_dump(mode="json")
    assert set(data) == {
        "school_urn", "la_code", "upn", "given_name", "family_name", "date_of_birth",
        "ground", "date", "note", "contacts",
    }  # fmt: skip
    assert data["contacts"] == [
        {
            "name": "Mum",
            "relationship": None,
            "parental_responsibility": False,
            "email": "m@x.example",
            "phone": "07700900001",
            "priority": 1,
        }
    ]


def test_the_outward_envelope_drops_the_internal_trace_context():
    event = make_event(alert(), source="alerts", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01")
    sent = la_events.outward_event(event.structured(), "100001", "A801200115001")
    assert sent is not None and "traceparent" not in sent
    assert set(sent["data"]) == ALERT_KEYS
    assert la_events.outward_event(event.structured(), "100001", "B801200115002") is None


def plan_agreed() -> PlanAgreed:
    return PlanAgreed(
        case_id="c1",
        family_key="fam_1",
        pupils=[
            CasePupil(school_urn="100001", upn="A801200115001", la_code="380"),
            CasePupil(school_urn="200002", upn="B801200115002", la_code="381"),
            CasePupil(school_urn="300003", upn="C801200115003", la_code=None),  # LA unknown: no one
        ],
        plan_id="p1",
        kind="joint_school_la",
        lead=PlanLead(name="Sam Patel", role="Attendance officer", organisation="LA 380"),
        targets=[PlanTarget(description="In school every Monday", attendance_rate=0.9, by=AT.date())],
        review_on=AT.date(),
        agreed_with_family=True,
        agreed_at=AT,
        by="lead@school.example",
    )


def test_a_plan_tells_each_pupils_own_la_of_that_pupil_alone_without_email_or_who():
    named = la_events.plan_agreed(plan_agreed())
    assert [(i.la_code, i.upn, i.key) for i in named] == [
        ("380", "A801200115001", "A801200115001"), ("381", "B801200115002", "B801200115002")
    ]  # fmt: skip
    data = named[1].data.model_dump(mode="json")
    assert set(data) == {
        "case_id", "plan_id", "kind", "school_urn", "la_code", "upn", "lead", "targets",
        "review_on", "agreed_with_family", "agreed_at",
    }  # fmt: skip
    assert (data["school_urn"], data["la_code"], data["upn"]) == ("200002", "381", "B801200115002")
    assert data["lead"] == {"name": "Sam Patel", "role": "Attendance officer", "organisation": "LA 380"}
    assert "A801200115001" not in str(data) and "lead@school.example" not in str(data)


def test_a_plans_review_and_end_keep_no_note_and_no_author():
    base = plan_agreed().model_dump(include={"case_id", "family_key", "pupils", "plan_id", "kind"})
    reviewed = PlanReviewed(
        **base,
        review_id="r1",
        held_on=AT.date(),
        progress="improving",
        review_on=AT.date(),
        reviewed_at=AT,
        by="x",
    )
    ended = PlanEnded(**base, outcome="attendance_improved", ended_at=AT, by="x")
    (first, _) = la_events.plan_reviewed(reviewed)
    assert set(first.data.model_dump()) == {
        "case_id", "plan_id", "kind", "school_urn", "la_code", "upn", "review_id", "held_on",
        "progress", "review_on", "reviewed_at",
    }  # fmt: skip
    (first, _) = la_events.plan_ended(ended)
    assert set(first.data.model_dump()) == {
        "case_id", "plan_id", "kind", "school_urn", "la_code", "upn", "outcome", "ended_at",
    }  # fmt: skip


def test_a_support_meeting_goes_to_its_schools_la_keyed_by_the_school_without_people_or_notes():
    meeting = SupportMeetingHeld(
        meeting_id="m1",
        la_code="380",
        school_urn="100001",
        held_on=AT.date(),
        attendees=[MeetingAttendee(name="Sam Patel", role="Attendance officer", organisation="LA 380")],
        agreed=[AgreedAction(case_id="c1", action_id="a1", due_on=AT.date())],
        recorded_at=AT,
        by="la-380",
    )
    (item,) = la_events.support_meeting_held(meeting)
    assert (item.la_code, item.school_urn, item.upn, item.key) == ("380", "100001", "", "100001")
    assert item.data.model_dump(mode="json") == {
        "meeting_id": "m1",
        "la_code": "380",
        "school_urn": "100001",
        "held_on": "2026-11-16",
        "agreed": [{"case_id": "c1", "action_id": "a1", "due_on": "2026-11-16"}],
        "recorded_at": "2026-11-16T09:00:00Z",
    }
    sent = la_events.outward_event(make_event(meeting, source="casework").structured(), "100001", "")
    assert sent is not None and sent["id"] and "Sam Patel" not in str(sent)
