"""Who may see what in notifications (api.md "Auth", "Notifications"): the delivery log for school
staff (their schools), trust officers (their trust's schools), LA officers (their LA) and admins;
webhook subscriptions for an LA's officers and admins; a parent only their own children; a webhook
URL whole only to its LA and admins."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Select, or_, select

from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, Unprocessable
from attendance_common.reach import ensure_role, school_reach
from notifications.models import Contact, Delivery, Pupil, School, Subscription

_READERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.TRUST_OFFICER, Role.LA_OFFICER)


def ensure_reader(principal: Principal, what: str) -> None:
    """403 `forbidden_role` for a role that reads neither the delivery log nor routing."""
    ensure_role(principal, _READERS, what)


def scoped(query: Select[Any], principal: Principal) -> Select[Any]:
    """Only deliveries about pupils of the caller's schools (staff), trust or LA (officers)."""
    ensure_reader(principal, "the notification log")
    mine = school_reach(principal, Delivery.school_urn, Delivery.la_code, School)
    return query if mine is None else query.where(mine)


def subscription_la(principal: Principal, asked: str | None) -> str:
    """The LA a new subscription is for: an officer's own, or the one an admin names."""
    if principal.role == Role.LA_OFFICER:
        assert principal.la is not None
        if asked not in (None, principal.la):
            raise Forbidden("forbidden_la", f"this token may not subscribe for LA {asked}")
        return principal.la
    if principal.is_admin:
        if asked is None:
            raise Unprocessable("la_code_required", "an admin must say which LA (`la_code`) this is for")
        return asked
    raise Forbidden("forbidden_role", f"role {principal.role} cannot manage webhook subscriptions")


def own_subscriptions(principal: Principal) -> list[ColumnElement[bool]]:
    """The conditions on `Subscription` of those the caller manages: all for admins, else its LA's."""
    if principal.is_admin:
        return []
    if principal.role == Role.LA_OFFICER:
        return [Subscription.la_code == principal.la]
    raise Forbidden("forbidden_role", f"role {principal.role} cannot manage webhook subscriptions")


def own_children(principal: Principal, today: dt.date) -> Select[Pupil]:
    """On-roll pupils (deletion, if any, not yet in effect) this parent has responsibility for."""
    return (
        select(Pupil)
        .join(Contact, Contact.pupil_id == Pupil.id)
        .where(
            Contact.email == (principal.email or ""),
            Contact.parental_responsibility.is_(True),
            Pupil.given_name.is_not(None),
            or_(Pupil.deleted_on.is_(None), Pupil.deleted_on >= today),
        )
        .distinct()
    )


def shown_url(url: str, principal: Principal, la_code: str | None) -> str:
    """A webhook URL as `principal` may see it: whole for admins and the officers of the LA it
    belongs to (it may hold that LA's token in its path or query); to anyone else only where it
    goes, `scheme://host[:port]/***`."""
    if principal.is_admin or (principal.role == Role.LA_OFFICER and principal.la == la_code):
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/***"
