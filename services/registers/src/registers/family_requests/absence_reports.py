"""Absence reports: what a report takes from its body and what its events carry (`lifecycle`
submits, decides and withdraws them as it does leave).

The events carry the reason's category and the span, never the family's note (it may say what
the illness is).
"""

from __future__ import annotations

import datetime as dt

from attendance_common.events import requests as events
from registers.family_requests import lifecycle, rules
from registers.family_requests.schemas import ReportIn
from registers.models import AbsenceReport


def _columns(data: ReportIn, today: dt.date) -> dict[str, object]:
    """A report's own columns (api.md defaults: AM to PM, one day), once its span passes the rules."""
    last_date = data.last_date or data.first_date
    rules.check_report_span((data.first_date, data.first_session), (last_date, data.last_session), today)
    return data.model_dump() | {"last_date": last_date}


KIND = lifecycle.Kind(
    model=AbsenceReport,
    name="absence report",
    waiting="submitted",
    needs_note="declined",
    submitted=events.AbsenceReportSubmitted,
    decided=events.AbsenceReportDecided,
    withdrawn=events.AbsenceReportWithdrawn,
    id_field="report_id",
    carried=("first_session", "last_session", "reason", "expected_return"),
    columns=_columns,
)
