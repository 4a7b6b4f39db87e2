"""Who is told what on which channel (api.md "Routing"): the default table and per-scope overrides.

Pure functions: the stored overrides come in, the routes in force come out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attendance_common.events.alerts import ALERT_TYPES
from attendance_common.scopes import applying

# A school's decision on a family's absence report or leave request (api.md Part 2).
DECISIONS: tuple[str, ...] = ("absence_report_decided", "leave_request_decided")
# A plan started on the family's case (api.md Part 2 "Schools and the LA plan together").
PLANS: tuple[str, ...] = ("plan_agreed",)
# The rest of the plan and support-meeting events: for the LA's webhooks alone (api.md Part 2,
# "LA event streams": the LA gets them with the same thin data on its topic and its webhooks).
LA_PLANS: tuple[str, ...] = ("plan_reviewed", "plan_ended", "support_meeting_held")
TRIGGERS: tuple[str, ...] = (*ALERT_TYPES, "pupil_deleted", "referral_made", *DECISIONS, *PLANS, *LA_PLANS)
# Audience -> the channels it can be reached on.
CHANNELS: Mapping[str, tuple[str, ...]] = {
    "parents": ("app", "email", "sms"),
    "social_worker": ("email",),
    "local_authority": ("webhook",),
}
# The recipient `kind` each audience's deliveries are recorded with.
RECIPIENT_KIND = {"parents": "parent", "social_worker": "social_worker", "local_authority": "local_authority"}

Routes = dict[str, dict[str, list[str]]]  # trigger -> audience -> channels

_PARENTS_ALL = {"parents": ["app", "email", "sms"]}
_PARENTS = {"parents": ["app", "email"]}
_SOCIAL_WORKER = {"social_worker": ["email"]}
_LA = {"local_authority": ["webhook"]}

# api.md "Default routing". SMS to parents is on for first-day absence; it is sent when Notify is
# configured and recorded as skipped otherwise.
DEFAULT_ROUTES: Routes = {
    "first_day_absence": {**_PARENTS_ALL},
    "social_worker_unexplained_absence": {**_SOCIAL_WORKER},
    "persistent_absence": {**_PARENTS},
    "severe_absence": {**_PARENTS, **_SOCIAL_WORKER, **_LA},
    "ten_day_unauthorised": {**_SOCIAL_WORKER, **_LA},
    "fifteen_day_illness": {**_LA},
    "penalty_threshold": {},
    "overdue_n": {},
    # api.md Part 2 "Finding pupils who need support": an offer of support to the parents early; the
    # 20-day continuous absence to the social worker and the LA (children missing education).
    "emerging_absence": {**_PARENTS},
    "twenty_day_continuous_absence": {**_SOCIAL_WORKER, **_LA},
    "pupil_deleted": {**_SOCIAL_WORKER, **_LA},
    "referral_made": {**_LA},
    "absence_report_decided": {**_PARENTS},
    "leave_request_decided": {**_PARENTS},
    "plan_agreed": {**_PARENTS, **_LA},
    "plan_reviewed": {**_LA},
    "plan_ended": {**_LA},
    "support_meeting_held": {**_LA},
}

# Statutory duties (api.md "Authorisation clarified"): first-day contact with parents, telling a
# child's social worker the same day, and the LA's notice of a deletion from roll. An override at
# school scope may change their channels but not leave the audience with none.
STATUTORY_ROUTES: tuple[tuple[str, str], ...] = (
    ("first_day_absence", "parents"),
    ("social_worker_unexplained_absence", "social_worker"),
    ("pupil_deleted", "local_authority"),
)


def statutory_switched_off(overrides: Routes) -> list[str]:
    """The statutory routes these (checked) overrides switch off, as `trigger to audience`."""
    return [
        f"{trigger} to {audience}"
        for trigger, audience in STATUTORY_ROUTES
        if audience in overrides.get(trigger, {}) and not overrides[trigger][audience]
    ]


def check(routes: Mapping[str, Any]) -> Routes:
    """Validate overrides (`{trigger: {audience: [channel, ...]}}`); ValueError says what is wrong."""
    checked: Routes = {}
    for trigger, audiences in routes.items():
        if trigger not in TRIGGERS:
            raise ValueError(f"unknown trigger {trigger!r}; known: {', '.join(TRIGGERS)}")
        if not isinstance(audiences, Mapping):
            raise ValueError(f"{trigger}: expected {{audience: [channel, ...]}}")
        checked[trigger] = {}
        for audience, channels in audiences.items():
            if audience not in CHANNELS:
                raise ValueError(f"{trigger}: unknown audience {audience!r}; known: {', '.join(CHANNELS)}")
            if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
                raise ValueError(f"{trigger}.{audience}: expected a list of channels")
            wrong = [c for c in channels if c not in CHANNELS[audience]]
            if wrong:
                allowed = ", ".join(CHANNELS[audience])
                raise ValueError(f"{trigger}.{audience}: {wrong} not allowed; channels: {allowed}")
            checked[trigger][audience] = list(dict.fromkeys(channels))
    return checked


def resolve(stored: Mapping[str, Mapping[str, Any]], school_urn: str, la_code: str | None) -> Routes:
    """The routes in force at a school: the default table, then `default`, `la:` and `school:` overrides.

    An override replaces the channels of the audiences it names, per trigger; others are kept.
    """
    routes: Routes = {t: {a: list(c) for a, c in DEFAULT_ROUTES[t].items()} for t in TRIGGERS}
    for scope in applying(school_urn, la_code):
        for trigger, audiences in stored.get(scope, {}).items():
            if trigger in routes:
                routes[trigger].update({a: list(c) for a, c in audiences.items()})
    return routes
