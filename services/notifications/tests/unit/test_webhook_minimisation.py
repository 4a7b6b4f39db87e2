"""Alert webhooks carry the thin data api.md lists, whatever the alert event grows."""

from __future__ import annotations

from notifications.notify import THIN_ALERT_FIELDS, webhook_event


def test_an_alert_webhook_keeps_only_the_thin_fields():
    data = {field: "x" for field in THIN_ALERT_FIELDS}
    extra = {
        "evidence": {"figures": {}},
        "contacts": [{"phone": "07700900001"}],
        "social_worker": {"email": "s@x"},
    }
    event = {"type": "attendance.alert.raised", "id": "e1", "data": {**data, **extra}}

    assert webhook_event(event)["data"] == data


def test_the_thin_fields_are_exactly_those_api_md_lists():
    assert set(THIN_ALERT_FIELDS) == {
        "alert_id", "type", "school_urn", "la_code", "upn", "date", "raised_at", "rule_version"
    }  # fmt: skip
