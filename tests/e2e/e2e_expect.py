"""What must follow from a generated term, worked out here from the marks and the written rules
(domain.md, api.md), independently of the services' code.

Once 30 sessions are possible, a pupil's rate never falls back below a threshold it reached
(`check_steady` proves it of the generated marks), so the expected alerts depend neither on
hysteresis nor on how the services batch their work.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from e2e_school import School

PRESENT = {"/", "\\", "L"}
APPROVED = {"K", "V", "P", "W", "B"}
AUTHORISED = {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E"}
UNAUTHORISED = {"G", "N", "O", "U"}
POSSIBLE = PRESENT | APPROVED | AUTHORISED | UNAUTHORISED
MIN_POSSIBLE = 30
PARENT_ROUTES = {
    "first_day_absence": ("app", "email", "sms"),
    "persistent_absence": ("app", "email"),
    "severe_absence": ("app", "email"),
}
SOCIAL_WORKER_ROUTES = {
    "social_worker_unexplained_absence",
    "severe_absence",
    "ten_day_unauthorised",
    "twenty_day_continuous_absence",
}
CONTINUOUS_ABSENCE = {"G", "N", "O"}  # the 20-day run of children missing education (api.md Part 2)
# The LA's webhook subscription in the tests: these event types, every alert type.
SUBSCRIBED = ("attendance.alert.raised", "attendance.referral.made", "attendance.pupil.deleted")

Marks = dict[tuple[dt.date, str], str]
AlertKey = tuple[str, str, str | None]  # (type, upn, date for the per-date types)


def counts(marks: Marks) -> dict[str, int]:
    codes = list(marks.values())
    out = {
        "present": sum(c in PRESENT for c in codes),
        "approved_educational_activity": sum(c in APPROVED for c in codes),
        "authorised_absence": sum(c in AUTHORISED for c in codes),
        "unauthorised_absence": sum(c in UNAUTHORISED for c in codes),
    }
    out["possible_sessions"] = sum(out.values())
    return out


def absence(marks: Marks) -> tuple[int, int]:
    possible = sum(c in POSSIBLE for c in marks.values())
    return sum(c in AUTHORISED | UNAUTHORISED for c in marks.values()), possible


def school_days(all_marks: list[Marks]) -> list[dt.date]:
    return sorted({d for marks in all_marks for (d, _), code in marks.items() if code != "#"})


def alerts_of(upn: str, sw: bool, marks: Marks, days: list[dt.date]) -> set[AlertKey]:
    """The alerts open for one pupil once these marks are in (api.md "Alerts" table, defaults)."""
    found: set[AlertKey] = set()
    by_day = {d: [marks.get((d, s)) for s in ("AM", "PM")] for d in days}
    for d, codes in by_day.items():
        if "N" in codes:
            found.add(("first_day_absence", upn, d.isoformat()))
        if sw and ("N" in codes or "O" in codes):
            found.add(("social_worker_unexplained_absence", upn, d.isoformat()))
    absent, possible = absence(marks)
    if possible >= MIN_POSSIBLE and Fraction(absent, possible) >= Fraction(1, 10):
        found.add(("persistent_absence", upn, None))
    if possible >= MIN_POSSIBLE and Fraction(absent, possible) >= Fraction(1, 2):
        found.add(("severe_absence", upn, None))
    run = 0
    for d in days:
        run = run + 1 if all(c in UNAUTHORISED for c in by_day[d]) else 0
        if run >= 10:
            found.add(("ten_day_unauthorised", upn, None))
    run = 0
    for d in days:
        run = run + 1 if all(c in CONTINUOUS_ABSENCE for c in by_day[d]) else 0
        if run >= 20:
            found.add(("twenty_day_continuous_absence", upn, None))
    if sum("I" in by_day[d] for d in days) >= 15:
        found.add(("fifteen_day_illness", upn, None))
    weeks = sorted({d - dt.timedelta(days=d.weekday()) for d in days})
    per_week = Counter(
        weeks.index(d - dt.timedelta(days=d.weekday())) for d in days for c in by_day[d] if c in UNAUTHORISED
    )
    if any(sum(per_week[w] for w in range(first, first + 10)) >= 10 for first in range(len(weeks))):
        found.add(("penalty_threshold", upn, None))
    if any("N" in by_day[d] and len([x for x in days if x > d]) >= 5 for d in days):
        found.add(("overdue_n", upn, None))
    return found


def check_steady(marks: Marks) -> None:
    """Once 30 sessions are possible, a rate that reaches a threshold never falls below it again."""
    absent = possible = 0
    reached: set[Fraction] = set()
    for key in sorted(marks, key=lambda k: (k[0], k[1])):
        code = marks[key]
        possible += code in POSSIBLE
        absent += code in AUTHORISED | UNAUTHORISED
        if possible < MIN_POSSIBLE:
            continue
        rate = Fraction(absent, possible)
        for high in (Fraction(1, 10), Fraction(1, 2)):
            # Rising through a band is fine (nothing is open yet); falling back would meet hysteresis.
            assert rate >= high or high not in reached, f"rate falls back below {high} at {key}"
            if rate >= high:
                reached.add(high)


@dataclass
class Expected:
    alerts: set[AlertKey]  # every alert raised (phase 1 and phase 2)
    open: set[AlertKey]
    cases: dict[int, tuple[str, set[str], Counter[str]]]  # family -> (stage, upns, referral reasons)
    deliveries: Counter[tuple[str, str, str, str]]  # (trigger, channel, recipient kind, status)
    feeds: Counter[str]  # parent email -> app messages
    deleted: str | None = None


def expect(school: School, *, settled: bool, deleted: str | None = None) -> Expected:
    """The outcome of phase 1 (`settled=False`) or of phase 1 then phase 2 (`settled=True`)."""
    phases = [lambda p: p.posted, lambda p: p.marks] if settled else [lambda p: p.posted]
    raised: set[AlertKey] = set()
    current: set[AlertKey] = set()
    for marks_of in phases:
        days = school_days([marks_of(p) for p in school.pupils])
        current = set()
        for p in school.pupils:
            check_steady(marks_of(p))
            current |= alerts_of(p.upn, p.has_social_worker, marks_of(p), days)
        raised |= current
    pupils = {p.upn: p for p in school.pupils}
    members: dict[int, set[str]] = {}
    for p in school.pupils:
        members.setdefault(p.family, set()).add(p.upn)
    cases: dict[int, tuple[str, set[str], Counter[str]]] = {}
    for kind, upn, _ in sorted(raised, key=str):
        if kind not in (
            "persistent_absence",
            "severe_absence",
            "ten_day_unauthorised",
            "twenty_day_continuous_absence",
        ):
            continue
        family = pupils[upn].family
        stage, _, referrals = cases.get(family, ("monitor", set(), Counter()))
        if kind == "severe_absence":
            stage = "facilitate_support"
            referrals["severe_absence"] += 1
        elif kind == "persistent_absence" and stage == "monitor":
            stage = "listen_and_understand"
        if kind == "ten_day_unauthorised":
            referrals["ten_day_unauthorised"] += 1
        if kind == "twenty_day_continuous_absence":
            stage = "facilitate_support"
            referrals["children_missing_education_enquiry"] += 1
        cases[family] = (stage, members[family], referrals)
    deliveries: Counter[tuple[str, str, str, str]] = Counter()
    feeds: Counter[str] = Counter()
    for kind, upn, _ in raised:
        p = pupils[upn]
        for contact in sorted(p.contacts, key=lambda c: int(c["priority"])):  # type: ignore[arg-type]
            if not contact["parental_responsibility"]:
                continue
            for channel in PARENT_ROUTES.get(kind, ()):
                address = contact["phone"] if channel == "sms" else contact["email"]
                if address:
                    status = "skipped" if channel == "sms" else "sent"  # no SMS provider in tests
                    deliveries[(kind, channel, "parent", status)] += 1
                    if channel == "app":
                        feeds[str(address).lower()] += 1
        if kind in SOCIAL_WORKER_ROUTES and p.social_worker:  # no social worker, no recipient, no row
            deliveries[(kind, "email", "social_worker", "sent")] += 1
        deliveries[(kind, "webhook", "local_authority", "sent")] += 1  # SUBSCRIBED: every alert type
    referrals = sum(sum(r.values()) for _, _, r in cases.values())
    if referrals:
        deliveries[("referral_made", "webhook", "local_authority", "sent")] += referrals
    if deleted:
        if pupils[deleted].social_worker:
            deliveries[("pupil_deleted", "email", "social_worker", "sent")] += 1
        deliveries[("pupil_deleted", "webhook", "local_authority", "sent")] += 1
    return Expected(raised, current, cases, deliveries, feeds, deleted)


def by_type(keys: set[AlertKey]) -> Counter[str]:
    return Counter(kind for kind, _, _ in keys)
