"""The report as one printable page (jinja2), and its series as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

from jinja2 import Environment, PackageLoader, select_autoescape

from attendance_common.codes import CODES
from registers.reports import charts
from registers.reports.schemas import AttendanceReport

_ENVIRONMENT = Environment(
    loader=PackageLoader("registers.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _percent(value: float | None) -> str:
    """A rate as the page shows it: a percentage to one decimal place (DfE's precision)."""
    return "–" if value is None else f"{value * 100:.1f}%"


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


_ENVIRONMENT.filters["percent"] = _percent
_ENVIRONMENT.filters["long_date"] = _long_date
_ENVIRONMENT.filters["thousands"] = lambda value: "–" if value is None else f"{value:,}"


def _comparison(report: AttendanceReport) -> str | None:
    """One sentence on the headline rate against the national one, in words."""
    ours, national = report.overall.absence_rate, report.national
    if ours is None or national is None:
        return None
    if round(ours * 100, 1) == round(national.absence_rate * 100, 1):
        relation = "the same as"
    else:
        relation = "above" if ours > national.absence_rate else "below"
    return (
        f"Absence was {_percent(ours)}, {relation} the national {_percent(national.absence_rate)} "
        f"for {national.phase} schools."
    )


def render_page(report: AttendanceReport, generated: dt.datetime) -> str:
    """One page a governor can read and print: headline figures against national, the absence rate
    over time, persistent and severe absence by group, absence by reason; no pupil named."""
    hidden = report.overall.suppressed
    return _ENVIRONMENT.get_template("report.html").render(
        report=report,
        generated=generated,
        comparison=_comparison(report),
        over_time=None if hidden else charts.absence_over_time(report),
        by_group={
            dimension: charts.persistent_and_severe(report, dimension)
            for dimension in charts.GROUP_TITLES
            if getattr(report.groups, dimension) and not hidden
        },
        by_reason=None
        if hidden or not any(r.sessions for r in report.reasons)
        else charts.absence_by_reason(report),
        group_titles=charts.GROUP_TITLES,
        group_label=charts.group_label,
        meaning={code: entry.meaning for code, entry in CODES.items()},
    )


SERIES_COLUMNS = (
    "start",
    "end",
    "possible_sessions",
    "absence_rate",
    "authorised_absence_rate",
    "unauthorised_absence_rate",
    "suppressed",
)


def render_csv(report: AttendanceReport) -> str:
    """The series, one row per week or month; a null figure is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SERIES_COLUMNS)
    for point in report.series:
        writer.writerow([_cell(getattr(point, name)) for name in SERIES_COLUMNS])
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
