"""What an LA's topic is sent: the same events as its webhooks (one shaping function), one outbox row
per pupil named, on that pupil's LA's topic, keyed by UPN, each with an id of its own."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from attendance_common.events.alerts import AlertRaised, Evidence
from attendance_common.events.casework import CasePupil, ReferralMade
from attendance_common.events.envelope import make_event
from attendance_common.events.outward import LA_DATA, la_topic
from notifications import la_streams
from notifications.delivery import la_events

AT = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


def test_the_la_topics_and_the_asyncapi_document_know_the_same_types_as_the_webhooks():
    assert set(la_events.SHAPES) == set(LA_DATA) == set(la_streams.HANDLERS) == set(la_streams.BATCH_HANDLERS)


def test_an_la_topic_is_named_by_its_code_and_nothing_else_names_one():
    assert la_topic("380") == "attendance.la.380"
    for bad in ("", "38.0", "380/1", "a" * 33, "380 "):
        with pytest.raises(ValueError):
            la_topic(bad)


def test_an_alert_is_one_row_on_its_las_topic_keyed_by_upn_with_the_webhooks_event():
    alert = AlertRaised(
        alert_id="a1",
        type="severe_absence",
        school_urn="100001",
        la_code="380",
        upn="A801200115001",
        date=None,
        raised_at=AT,
        rule_version="2024.1",
        evidence=Evidence(figures={"rate": 0.6}),
    )
    event = make_event(alert, source="alerts", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01")
    (row,) = la_streams.outbox_rows(event)
    assert (row["topic"], row["key"], row["event_id"], row["subject"]) == (
        "attendance.la.380",
        "A801200115001",
        event.id,
        "A801200115001",
    )
    assert row["traceparent"] is None
    webhook = la_events.outward_event(event.structured(), "100001", "A801200115001")
    assert webhook is not None and json.loads(row["data"]) == webhook["data"]
    assert "evidence" not in row["data"]


def test_a_family_referral_is_a_row_per_pupil_each_on_its_own_las_topic_with_its_own_id():
    referral = ReferralMade(
        case_id="c1",
        family_key="fam_1",
        pupils=[
            CasePupil(school_urn="100001", upn="A801200115001", la_code="380"),
            CasePupil(school_urn="200002", upn="B801200115002", la_code="381"),
            CasePupil(school_urn="300003", upn="C801200115003", la_code=None),  # LA unknown: no one
        ],
        to="local_authority",
        reason="severe_absence",
        upn=None,
        made_at=AT,
    )
    event = make_event(referral, source="casework")
    rows = la_streams.outbox_rows(event)
    assert [(r["topic"], r["key"]) for r in rows] == [
        ("attendance.la.380", "A801200115001"),
        ("attendance.la.381", "B801200115002"),
    ]
    assert len({r["event_id"] for r in rows} | {event.id}) == 3  # an id each, not the family's
    assert all("B801200115002" not in r["data"] for r in rows if r["key"] == "A801200115001")
    # The webhook of each LA carries the same id as its topic.
    for r in rows:
        webhook = la_events.outward_event(event.structured(), json.loads(r["data"])["school_urn"], r["key"])
        assert webhook is not None and webhook["id"] == r["event_id"]
