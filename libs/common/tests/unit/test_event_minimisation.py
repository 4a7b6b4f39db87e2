"""Data minimisation in events: alert events never gain contact fields; notification events no addresses."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.notifications import NotificationFailed, NotificationSent
from attendance_common.events.requests import (
    AbsenceReportDecided,
    AbsenceReportSubmitted,
    AbsenceReportWithdrawn,
    LeaveRequestDecided,
    LeaveRequestSubmitted,
    LeaveRequestWithdrawn,
)

# A field whose name says it holds a person's name or a way to reach them.
CONTACT_FIELD = re.compile(r"phone|email|mobile|address|contact|name|social_worker|parent|carer|postcode")
ALLOWED = {"la_code", "school_urn"}  # codes of institutions, not people


def field_names(schema: dict[str, Any]) -> set[str]:
    """Every property name in a JSON schema, nested models ($defs) included."""
    names: set[str] = set()
    for part in [schema, *schema.get("$defs", {}).values()]:
        names.update(part.get("properties", {}))
    return names


@pytest.mark.parametrize("model", [AlertRaised, AlertCleared, NotificationSent, NotificationFailed])
def test_the_event_schema_has_no_contact_or_name_fields(model):
    names = field_names(model.model_json_schema())

    assert {n for n in names if CONTACT_FIELD.search(n)} - ALLOWED == set()


def failed(error: str) -> NotificationFailed:
    return NotificationFailed(
        notification_id="n1",
        trigger="first_day_absence",
        upn="A801200115001",
        school_urn="100001",
        channel="email",
        recipient_kind="parent",
        attempts=5,
        error=error,
        failed_at=dt.datetime(2026, 9, 7, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("error", "masked"),
    [
        ("550 5.1.1 <Pat.Parent@example.com>: user unknown", "550 5.1.1 <[email]>: user unknown"),
        ("Notify: 400 07700 900123 is not a valid number", "Notify: 400 [phone] is not a valid number"),
        ("Notify: 400 +44 7700900123 rejected", "Notify: 400 [phone] rejected"),
        ("webhook answered HTTP 503 on 2026-09-07", "webhook answered HTTP 503 on 2026-09-07"),
    ],
)
def test_a_failure_event_masks_addresses_quoted_in_the_error(error, masked):
    assert failed(error).error == masked


REQUEST_EVENTS = [
    AbsenceReportSubmitted,
    AbsenceReportDecided,
    AbsenceReportWithdrawn,
    LeaveRequestSubmitted,
    LeaveRequestDecided,
    LeaveRequestWithdrawn,
]


@pytest.mark.parametrize("model", REQUEST_EVENTS)
def test_a_familys_request_event_has_no_free_text_names_or_contacts(model):
    """The family's note (it may say what the illness is) and the school's never leave registers."""
    names = field_names(model.model_json_schema())

    assert {n for n in names if CONTACT_FIELD.search(n) or "note" in n} - ALLOWED == set()
    # `reason` is the category of an absence report (a fixed list), never the text of a leave request.
    reason = model.model_json_schema()["properties"].get("reason")
    assert reason is None or "enum" in reason
