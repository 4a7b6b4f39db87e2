"""The world every authorisation check runs in: one school in LA 380 and trust T123, one pupil with a parent
and a social worker, and a caller per role of api.md whose scope covers them, plus four tokens that must
never work."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from typing import Any

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.events.base import EventData
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import (
    Characteristics,
    Contact,
    PupilUpserted,
    SchoolUpserted,
    SocialWorker,
    Trust,
)
from attendance_common.identifiers import make_upn
from attendance_common.messaging import EventConsumer, Received

URN = "142857"
LA = "380"
TRUST = "T123"
PARENT_EMAIL = "pat.parent@example.com"
WORKER_EMAIL = "sam.worker@example.gov.uk"
MARKED_ON = dt.date(2026, 11, 16)  # a Monday before "today" in every run from 2026-11-16 on
_serials = itertools.count(1)
_urns = itertools.count(900_001)  # fresh schools, apart from URN


def new_upn() -> str:
    """A valid UPN, different every call (only this test module uses establishment 9999)."""
    return make_upn("801", "9999", "15", f"{next(_serials):03d}")


UPN = new_upn()


def new_urn() -> str:
    return str(next(_urns))


ROLE_CLAIMS: dict[str, dict[str, Any]] = {
    "admin": {},
    "mis": {"schools": [URN]},
    "school_staff": {"schools": [URN]},
    "la_officer": {"la": LA},
    "social_worker": {"email": WORKER_EMAIL},
    "parent": {"email": PARENT_EMAIL},
    "governor": {"schools": [URN]},
    "trust_officer": {"trust": TRUST},
}
ROLES = tuple(ROLE_CLAIMS)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _token(role: str, secret: str = DEVELOPMENT_JWT_SECRET, ttl: int = 6 * 3600) -> str:
    # Hours, not minutes: module-level headers (ADMIN) are minted when the suite is collected, and
    # the security tests may start more than ten minutes later in a full run.
    return mint_token(secret=secret, sub=f"{role}-matrix", role=role, ttl_seconds=ttl, **ROLE_CLAIMS[role])


def _unsigned_admin() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': 'x', 'role': 'admin', 'exp': 4102444800})}."


# Each bad token would be an admin's if it verified: the refusal is about the token, not the scope.
BAD_TOKENS = {
    "no_token": lambda: None,
    "expired": lambda: _token("admin", ttl=-3600),
    "other_key": lambda: _token("admin", secret="another-secret-that-is-also-32-bytes-long"),
    "alg_none": _unsigned_admin,
}
CALLERS = ROLES + tuple(BAD_TOKENS)


def headers_of(caller: str) -> dict[str, str]:
    token = _token(caller) if caller in ROLE_CLAIMS else BAD_TOKENS[caller]()
    return {"Authorization": f"Bearer {token}"} if token else {}


ADMIN = headers_of("admin")


def headers_at(caller: str, urn: str) -> dict[str, str]:
    """The caller's headers with its `schools` claim (if it has one) naming school `urn` instead."""
    if caller not in ROLE_CLAIMS or "schools" not in ROLE_CLAIMS[caller]:
        return headers_of(caller)
    claims = {**ROLE_CLAIMS[caller], "schools": [urn]}
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=f"{caller}-matrix", role=caller, **claims)
    return {"Authorization": f"Bearer {token}"}


def parent() -> Contact:
    return Contact(
        contact_id="c1",
        name="Pat Parent",
        relationship="mother",
        parental_responsibility=True,
        email=PARENT_EMAIL,
        priority=1,
    )


def school_upserted() -> SchoolUpserted:
    return SchoolUpserted(
        urn=URN,
        name="Matrix Primary",
        la_code=LA,
        phase="primary",
        trust=Trust(id=TRUST, name="Matrix Trust"),
    )


def pupil_upserted(upn: str = UPN, *, parent_email: str = PARENT_EMAIL) -> PupilUpserted:
    return PupilUpserted(
        school_urn=URN,
        la_code=LA,
        upn=upn,
        given_name="Ada",
        family_name="Lovelace",
        year_group="6",
        start_date=dt.date(2025, 9, 1),
        characteristics=Characteristics(has_social_worker=True),
        social_worker=SocialWorker(name="Sam Worker", email=WORKER_EMAIL),
        contacts=[parent().model_copy(update={"email": parent_email})],
    )


class EventFeed:
    """Applies events to a service's database through its real consumer path."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer
        self.offsets = itertools.count()

    async def send(self, data: EventData, source: str = "registers") -> None:
        if data.event_type not in self.consumer.handlers:
            return  # not something this service consumes
        event = make_event(data, source=source)
        payload = self.consumer.payload(event, None)
        await self.consumer.apply([Received(event, payload, data.topic, 0, next(self.offsets), data.key())])
