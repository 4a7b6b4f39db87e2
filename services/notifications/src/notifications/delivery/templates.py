"""Message texts (Jinja2 templates under `templates/<audience>/`), first line the title, then the body.

Parents get plain, kind wording that offers support first; social workers get the facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateNotFound

_env = Environment(
    loader=PackageLoader("notifications.delivery", "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # plain text (email text/plain, SMS, the app feed): nothing is rendered as HTML
    keep_trailing_newline=False,
)

GROUNDS = {
    "registered_elsewhere": "registered at another school",
    "moved_away": "moved away",
    "home_education": "home education",
    "did_not_return_after_leave": "did not return after leave",
    "twenty_day_absence": "20 school days of continuous absence after enquiries",
    "permanently_excluded": "permanent exclusion",
    "beyond_compulsory_age": "beyond compulsory school age",
}
TRIGGER_TEXT = {
    "first_day_absence": "absence with no reason given yet",
    "social_worker_unexplained_absence": "unexplained absence",
    "persistent_absence": "persistent absence",
    "severe_absence": "severe absence",
    "ten_day_unauthorised": "ten school days of unauthorised absence",
    "fifteen_day_illness": "fifteen school days of illness this year",
    "penalty_threshold": "unauthorised absence over recent weeks",
    "overdue_n": "an absence still without a reason after five school days",
    "emerging_absence": "more absence than usual over recent weeks",
    "twenty_day_continuous_absence": "twenty school days of continuous absence",
    "pupil_deleted": "removal from the school roll",
    "referral_made": "referral to the local authority",
    "absence_report_decided": "the absence you reported",
    "leave_request_decided": "your request for leave",
    "plan_agreed": "the plan agreed to support your child's attendance",
}
REASONS = {
    "illness": "illness",
    "medical_appointment": "a medical appointment",
    "religious_observance": "religious observance",
    "family_emergency": "a family emergency",
    "bereavement": "a bereavement",
    "other": "another reason",
}
LEAVE_CATEGORIES = {
    "exceptional_circumstances": "exceptional circumstances",
    "performance_or_employment_abroad": "a performance or employment abroad",
    "interview": "an interview",
    "study_leave": "study leave for an exam",
}


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def render(
    audience: str, trigger: str, context: dict[str, Any], *, sms: bool = False, variant: str | None = None
) -> Text:
    """The title and body for this audience and trigger (or the audience's default template);
    `variant` picks `<trigger>.<variant>.txt` where there is one (e.g. `dates`: catch_up.py)."""
    text = (
        template_for(audience, trigger, sms, variant)
        .render(trigger_text=TRIGGER_TEXT.get(trigger, trigger), **context)
        .strip()
    )
    if sms:
        return Text(title="", body=text)
    title, _, body = text.partition("\n")
    return Text(title=title.strip(), body=body.strip() + "\n")


@cache
def template_for(audience: str, trigger: str, sms: bool, variant: str | None = None) -> Template:
    """The compiled template, looked up once per process (templates ship with the code)."""
    suffix = ".sms.txt" if sms else ".txt"
    if variant is not None:
        try:
            return _env.get_template(f"{audience}/{trigger}.{variant}{suffix}")
        except TemplateNotFound:
            pass
    try:
        return _env.get_template(f"{audience}/{trigger}{suffix}")
    except TemplateNotFound:
        return _env.get_template(f"{audience}/_default{suffix}")


def long_date(day: dt.date) -> str:
    """`Monday 16 November 2026`."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def sessions_text(sessions: list[str]) -> str:
    names = {"AM": "morning", "PM": "afternoon"}
    return " and ".join(names[s] for s in ("AM", "PM") if s in sessions) or "morning"


def percent(rate: float | None) -> str:
    return "0%" if rate is None else f"{round(rate * 100)}%"


def when_text(day: dt.date, today: dt.date) -> str:
    """`today` or `on Monday 16 November` (a late-posted mark still notifies, with its own date)."""
    if day == today:
        return "today"
    return f"on {day:%A} {day.day} {day:%B}"


def span_text(data: dict[str, Any]) -> str:
    """`on Thursday 3 December` or `from Thursday 3 December (afternoon) to Friday 4 December`."""
    first, last = dt.date.fromisoformat(data["first_date"]), dt.date.fromisoformat(data["last_date"])
    first_part = data.get("first_session", "AM") == "PM"
    last_part = data.get("last_session", "PM") == "AM"
    if first == last:
        part = " morning" if last_part else " afternoon" if first_part else ""
        return f"on {first:%A} {first.day} {first:%B}" + (f" ({part.strip()})" if part else "")
    start = f"{first:%A} {first.day} {first:%B}" + (" (afternoon)" if first_part else "")
    end = f"{last:%A} {last.day} {last:%B}" + (" (morning)" if last_part else "")
    return f"from {start} to {end}"


def request_words(data: dict[str, Any]) -> dict[str, Any]:
    """What the decision templates say about a family's request (empty for other triggers)."""
    if "report_id" not in data and "request_id" not in data:
        return {}
    return {
        "span": span_text(data),
        "outcome": data.get("outcome", ""),
        "reason_text": REASONS.get(data.get("reason", ""), "the reason you gave"),
        "category_text": LEAVE_CATEGORIES.get(data.get("category", ""), "leave"),
        "expected_code": data.get("expected_code", ""),
    }


PLAN_KINDS = {
    "attendance_support": "an attendance support plan",
    "joint_school_la": "a support plan agreed by the school and the local authority together",
    "early_help": "an early help plan",
    "attendance_contract": "an attendance contract",
}


def plan_words(data: dict[str, Any]) -> dict[str, Any]:
    """What the plan template says about a plan (empty for other triggers)."""
    if "plan_id" not in data or "lead" not in data:
        return {}
    lead = data["lead"]
    review_on = data.get("review_on")
    return {
        "plan_kind_text": PLAN_KINDS.get(data.get("kind", ""), "a support plan"),
        "lead_name": lead.get("name", ""),
        "lead_role": lead.get("role", ""),
        "targets": [t.get("description", "") for t in data.get("targets") or []],
        "review_day": long_date(dt.date.fromisoformat(review_on)) if review_on else "",
    }
