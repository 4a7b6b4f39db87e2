"""The legal interventions and their national rules (domain.md 7), as pure functions.

Every refusal is an error whose `code` names the rule it applies, so a caller can tell which one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from attendance_common.errors import Conflict, Unprocessable
from casework.steps import stage_rank

# The Education (Penalty Notices) (England) (Amendment) Regulations 2024: the national framework
# applies to notices issued from this date, and its 3-year window starts at the first such notice.
FRAMEWORK_START = dt.date(2024, 8, 19)
WINDOW_YEARS = 3
FIRST_NOTICE = ({"due_within_days": 21, "amount_gbp": 80}, {"due_within_days": 28, "amount_gbp": 160})
SECOND_NOTICE = ({"due_within_days": 28, "amount_gbp": 160},)
NOTICES_PER_WINDOW = 2
HOLIDAY = "holiday"

# The stage a type of action belongs to (domain.md 6): formalising support, or enforcing.
MINIMUM_STAGE = {
    "attendance_contract": "formalise_support",
    "education_supervision_order": "formalise_support",
    "notice_to_improve": "enforce",
    "penalty_notice": "enforce",
    "prosecution": "enforce",
    "school_attendance_order": "enforce",
}
# A voluntary agreement with, or a notice, order or prosecution against, a named parent.
NAMES_A_PARENT = frozenset(MINIMUM_STAGE) - {"education_supervision_order"}
IMPROVEMENT_WEEKS = range(3, 7)  # a notice to improve sets 3 to 6 school weeks
# s444(1) strict liability, fine up to £1,000; s444(1A) the parent knew, up to £2,500 and/or 3 months.
PROSECUTION_MAXIMUM_FINE_GBP = {"s444(1)": 1000, "s444(1A)": 2500}
SAO_NOTICE_DAYS = 15  # s437: at least 15 days' notice before a school attendance order
ESO_MONTHS = 12  # s36 Children Act 1989: an ESO lasts 12 months (extendable up to 3 years)


@dataclass(frozen=True)
class Terms:
    """What the caller asked for, beyond the case and the parent."""

    type: str
    issued_on: dt.date
    reason: str | None
    improvement_period_weeks: int | None = None
    section: str | None = None
    notice_served_on: dt.date | None = None


def check_stage(action_type: str, stage: str) -> None:
    """Support first: contracts and ESOs from `formalise_support`, the rest only at `enforce`."""
    minimum = MINIMUM_STAGE[action_type]
    if stage_rank(stage) >= stage_rank(minimum):
        return
    if minimum == "enforce":
        raise Conflict("case_not_at_enforce", f"a {action_type} needs the case at stage enforce, not {stage}")
    raise Conflict(
        "case_not_at_formalise_support",
        f"a {action_type} needs the case at stage formalise_support or enforce, not {stage}",
    )


def details(terms: Terms) -> dict[str, Any]:
    """The type's own rules on its terms; returns the terms to keep with the action."""
    if terms.type == "notice_to_improve":
        if terms.reason is not None and terms.reason.strip().lower() == HOLIDAY:
            raise Unprocessable(
                "notice_to_improve_not_for_holidays",
                "a notice to improve is not used for term-time holidays: consider a penalty notice",
            )
        if terms.improvement_period_weeks not in IMPROVEMENT_WEEKS:
            raise Unprocessable(
                "improvement_period_out_of_range",
                "a notice to improve sets an improvement period of 3 to 6 school weeks "
                "(improvement_period_weeks)",
            )
        return {"improvement_period_weeks": terms.improvement_period_weeks}
    if terms.type == "prosecution":
        if terms.section not in PROSECUTION_MAXIMUM_FINE_GBP:
            raise Unprocessable(
                "unknown_prosecution_section",
                "a prosecution is under s444(1) or s444(1A) of the Education Act 1996 (section)",
            )
        return {"section": terms.section, "maximum_fine_gbp": PROSECUTION_MAXIMUM_FINE_GBP[terms.section]}
    if terms.type == "school_attendance_order":
        if terms.notice_served_on is None:
            raise Unprocessable(
                "sao_notice_required",
                "a school attendance order follows a s437 notice: give notice_served_on",
            )
        if (terms.issued_on - terms.notice_served_on).days < SAO_NOTICE_DAYS:
            raise Unprocessable(
                "sao_notice_period_not_met",
                f"a school attendance order needs at least {SAO_NOTICE_DAYS} days' notice first",
            )
        return {"notice_served_on": terms.notice_served_on.isoformat()}
    if terms.type == "education_supervision_order":
        return {"expires_on": add_months(terms.issued_on, ESO_MONTHS).isoformat()}
    return {}


def check_penalty_grounds(reason: str | None, threshold_met: bool) -> None:
    """A penalty notice is considered at the penalty threshold, or for a term-time holiday."""
    if threshold_met or (reason is not None and reason.strip().lower() == HOLIDAY):
        return
    raise Conflict(
        "penalty_threshold_not_met",
        "a penalty notice needs the penalty threshold met (10 unauthorised sessions in 10 school weeks) "
        "or reason holiday",
    )


def penalty_amounts(earlier: Iterable[dt.date], issued_on: dt.date) -> list[dict[str, int]]:
    """The amounts of a new notice to one parent for one child, given the notices already issued.

    Windows of 3 years start at the first notice on or after 19 Aug 2024; in each, the first notice
    is £80 in 21 days else £160 in 28, the second a flat £160, a third is refused.
    """
    if issued_on < FRAMEWORK_START:
        raise Unprocessable(
            "penalty_notice_before_framework",
            f"penalty notices are recorded under the national framework, from {FRAMEWORK_START}",
        )
    dates = sorted(d for d in earlier if d >= FRAMEWORK_START)
    # The new notice goes after any issued the same day; a backdated one can push a later one to third.
    order = sorted([(d, False) for d in dates] + [(issued_on, True)])
    window_start: dt.date | None = None
    count, ours = 0, 0
    for date, is_new in order:
        if window_start is None or date >= add_years(window_start, WINDOW_YEARS):
            window_start, count = date, 0
        count += 1
        if count > NOTICES_PER_WINDOW:
            raise Conflict(
                "penalty_notice_limit_reached",
                "a third penalty notice to this parent for this child within 3 years is not allowed: "
                "use another route (usually prosecution)",
            )
        if is_new:
            ours = count
    return [dict(a) for a in (FIRST_NOTICE if ours == 1 else SECOND_NOTICE)]


def add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February: the window runs to the end of February
        return dt.date(date.year + years, 3, 1)


def add_months(date: dt.date, months: int) -> dt.date:
    month = date.month - 1 + months
    year, month = date.year + month // 12, month % 12 + 1
    for day in (date.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
