"""The report page's charts, drawn on the server as SVG by pygal: readable without JavaScript (pygal's
tooltip script is left out), in colours that keep 4.5:1 against white, each series told apart by more
than its colour (the national rate is dashed), every chart titled."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pygal
from markupsafe import Markup
from pygal.etree import etree
from pygal.style import Style

from attendance_common.codes import CODES
from registers.reports.schemas import AttendanceReport, GroupFigures

BLUE, RED, PURPLE, GREY, BLACK = "#1d70b8", "#b42318", "#4c2c92", "#505a5f", "#0b0c0c"
FONT = "Arial, Helvetica, sans-serif"


def _style(*colours: str) -> Style:
    return Style(
        background="white",
        plot_background="white",
        foreground=BLACK,
        foreground_strong=BLACK,
        foreground_subtle="#b1b4b6",
        colors=colours,
        font_family=FONT,  # every text's: pygal falls back to it for title_font_family and the rest
        title_font_size=18,
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        value_font_size=13,
        no_data_font_size=18,
        opacity="1",
        opacity_hover="1",
        guide_stroke_color="#dcdcdc",
        major_guide_stroke_color="#dcdcdc",
        guide_stroke_dasharray="1,0",
        major_guide_stroke_dasharray="1,0",
    )


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _options(title: str, colours: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {
        "js": [],  # no script: the SVG is the whole chart
        "title": title,
        "style": _style(*colours),
        "width": 900,
        "height": 380,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "value_formatter": lambda value: f"{value:.1f}%",
        "y_title": "% of possible sessions" if "y_title" not in extra else extra.pop("y_title"),
        "include_x_axis": True,
        "truncate_legend": -1,
        "truncate_label": -1,
        **extra,
    }


def _svg(chart: Any) -> Markup:
    """pygal's element tree serialised by its etree, inline in the page, less the script pygal always
    adds (its tooltips' configuration): the chart is drawn whole without it."""
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if child.tag in ("script", "{http://www.w3.org/2000/svg}script"):
                parent.remove(child)
    return Markup(etree.tostring(tree, encoding="unicode"))


def absence_over_time(report: AttendanceReport) -> Markup:
    """The absence rate of each week (or month) as a line, against DfE's national rate for the phase."""
    word = "week" if report.interval == "week" else "month"
    chart = pygal.Line(
        **_options(
            f"Absence rate by {word}",
            (BLUE, GREY),
            x_label_rotation=-45 if len(report.series) > 12 else 0,
            show_minor_x_labels=len(report.series) <= 26,
            x_labels_major_every=max(1, len(report.series) // 13),
            dots_size=4,
            allow_interruptions=True,
        )
    )
    chart.x_labels = [_date(point.start) for point in report.series]
    chart.add(
        "Absence rate",
        [_percent(point.absence_rate) for point in report.series],
        stroke_style={"width": 3},
    )
    if report.national is not None:
        national = _percent(report.national.absence_rate)
        chart.add(
            f"National, {report.national.phase} ({national:.1f}%)",
            [national] * len(report.series),
            stroke_style={"width": 3, "dasharray": "8, 6"},
            show_dots=False,
        )
    return _svg(chart)


GROUP_TITLES = {
    "year_group": "year group",
    "fsm_eligible": "free school meals",
    "sen_status": "special educational needs",
    "has_social_worker": "social worker",
}


def group_label(dimension: str, row: GroupFigures) -> str:
    """A group's name as a governor reads it."""
    if dimension == "year_group":
        return {"N1": "Nursery 1", "N2": "Nursery 2", "R": "Reception"}.get(row.key, f"Year {row.key}")
    if dimension == "sen_status":
        return {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}.get(row.key, row.key)
    if dimension == "fsm_eligible":
        return "Free school meals" if row.key == "true" else "No free school meals"
    return "Social worker" if row.key == "true" else "No social worker"


def persistent_and_severe(report: AttendanceReport, dimension: str) -> Markup:
    """The shares of pupils with persistent and severe absence in each group of one characteristic."""
    rows = getattr(report.groups, dimension)
    chart = pygal.Bar(
        **_options(
            f"Persistent and severe absence by {GROUP_TITLES[dimension]}",
            (BLUE, PURPLE),
            y_title="% of pupils",
            width=620,
            height=400,
            print_values=False,
            legend_at_bottom_columns=2,
            no_data_text="Every group has fewer than 5 pupils: not shown",
        )
    )
    chart.x_labels = [
        group_label(dimension, row) + (" (under 5 pupils)" if row.suppressed else "") for row in rows
    ]
    chart.add("Persistent absence (10%+)", [_percent(row.persistent_absence_rate) for row in rows])
    chart.add("Severe absence (50%+)", [_percent(row.severe_absence_rate) for row in rows])
    return _svg(chart)


def absence_by_reason(report: AttendanceReport) -> Markup:
    """Sessions missed for each reason given in the period, most first, authorised and not."""
    # pygal draws the first label at the bottom: the most sessions come last, so on top.
    reasons = sorted((r for r in report.reasons if r.sessions), key=lambda r: (r.sessions or 0, r.code))
    chart = pygal.HorizontalStackedBar(
        **_options(
            "Absence by reason (sessions missed)",
            (BLUE, RED),
            y_title=None,
            x_title="Sessions",
            value_formatter=lambda value: f"{value:,.0f}",
            height=max(220, 80 + 34 * len(reasons)),
            legend_at_bottom_columns=2,
        )
    )
    chart.x_labels = [f"{r.code}: {CODES[r.code].meaning}" for r in reasons]
    for category, name in (("authorised_absence", "Authorised"), ("unauthorised_absence", "Unauthorised")):
        chart.add(name, [r.sessions if r.category == category else None for r in reasons])
    return _svg(chart)


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b}"
