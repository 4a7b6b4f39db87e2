"""Events refuse free text and lists longer than the API takes (attendance_common.bounds): an event on
a shared topic never carries an unbounded value to its consumers' columns."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from attendance_common.events import EVENT_MODELS

_CONTACT = ("contacts", 0)
_MARK = ("marks", 0)
_EVIDENCE_MARK = {"date": "2026-09-07", "session": "AM", "code": "N"}
_CASE_PUPIL = {"school_urn": "100001", "upn": "A801200115001"}

# (event type, path to the field in its first example, a value one past the bound)
TOO_LONG: list[tuple[str, tuple[Any, ...], Any]] = [
    ("attendance.school.upserted", ("name",), "x" * 201),
    ("attendance.pupil.upserted", ("given_name",), "x" * 101),
    ("attendance.pupil.upserted", ("family_name",), "x" * 101),
    ("attendance.pupil.upserted", (*_CONTACT, "name"), "x" * 201),
    ("attendance.pupil.upserted", (*_CONTACT, "phone"), "0" * 41),
    ("attendance.pupil.upserted", (*_CONTACT, "email"), "a" * 250 + "@x.uk"),
    ("attendance.pupil.upserted", (*_CONTACT, "relationship"), "x" * 101),
    ("attendance.pupil.upserted", ("social_worker",), {"name": "x" * 201}),
    ("attendance.pupil.upserted", ("contacts",), "21 contacts"),
    ("attendance.pupil.deleted", ("note",), "x" * 1_001),
    ("attendance.mark.amended", (*_MARK, "reason"), "x" * 1_001),
    ("attendance.mark.recorded", ("marks",), "10,001 marks"),
    ("attendance.alert.raised", ("evidence", "marks"), [_EVIDENCE_MARK] * 1_001),
    ("attendance.alert.cleared", ("reason",), "x" * 201),
    ("attendance.case.opened", ("reason",), "x" * 2_001),
    ("attendance.case.opened", ("pupils",), [_CASE_PUPIL] * 1_001),
    ("attendance.case.stage_changed", ("reason",), "x" * 2_001),
    ("attendance.case.closed", ("note",), "x" * 2_001),
    ("attendance.referral.made", ("reason",), "x" * 201),
    ("attendance.legal_action.recorded", ("reason",), "x" * 2_001),
    ("attendance.legal_action.recorded", ("parent_contact_id",), "x" * 101),
    ("attendance.notification.failed", ("error",), "x" * 2_001),
    ("attendance.absence_report.submitted", ("report_id",), "x" * 51),
    ("attendance.absence_report.submitted", ("submitted_by_role",), "x" * 51),
    ("attendance.leave_request.decided", ("expected_code",), "x" * 51),
    ("attendance.leave_request.withdrawn", ("request_id",), "x" * 51),
]


def _example(event_type: str) -> dict[str, Any]:
    extra = EVENT_MODELS[event_type].model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    return copy.deepcopy(extra["examples"][0])  # type: ignore[index]


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    if value == "21 contacts":
        value = [data[path[-1]][0]] * 21
    elif value == "10,001 marks":
        value = [data[path[-1]][0]] * 10_001
    data[path[-1]] = value


@pytest.mark.parametrize(
    ("event_type", "path", "value"),
    TOO_LONG,
    ids=[f"{t} {'.'.join(map(str, p))}" for t, p, _ in TOO_LONG],
)
def test_an_event_refuses_a_value_past_its_bound(event_type, path, value):
    model = EVENT_MODELS[event_type]
    data = _example(event_type)
    model.model_validate(data)  # the example itself is fine
    _set(data, path, value)

    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)

    assert {error["type"] for error in refused.value.errors()} <= {"string_too_long", "too_long"}


def test_a_value_at_its_bound_is_taken():
    data = _example("attendance.pupil.upserted")
    contact = data["contacts"][0]
    contact.update(name="x" * 200, phone="0" * 40, relationship="x" * 100)
    data.update(given_name="x" * 100, contacts=[contact] * 20)

    EVENT_MODELS["attendance.pupil.upserted"].model_validate(data)
