"""Factories for registers tests: fresh URNs and valid UPNs, tokens, request bodies."""

from __future__ import annotations

import itertools
import random
from typing import Any

from attendance_common.auth import mint_token
from attendance_common.identifiers import make_upn
from attendance_common.settings import DEVELOPMENT_JWT_SECRET

_urns = itertools.count(random.randrange(100_000, 800_000, 1_000))
_upns = itertools.count(random.randrange(0, 5_000_000))


def new_urn() -> str:
    return str(next(_urns))


def new_upn() -> str:
    """A valid permanent UPN, different every call (LA 801, establishment and serial from a counter)."""
    n = next(_upns)
    return make_upn("801", f"{(n // 1000) % 10_000:04d}", "15", f"{n % 1000:03d}")


def token(role: str, *, secret: str = DEVELOPMENT_JWT_SECRET, sub: str | None = None, **claims: Any) -> str:
    return mint_token(secret=secret, sub=sub or f"{role}-user", role=role, **claims)


def auth(role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, **claims)}"}


def school_body(la_code: str = "380", name: str = "Hill Primary") -> dict[str, Any]:
    return {"name": name, "la_code": la_code, "phase": "primary"}


def pupil_body(
    *,
    start_date: str = "2025-09-01",
    year_group: str = "6",
    parent_email: str | None = "parent@example.com",
    social_worker_email: str | None = None,
    **characteristics: Any,
) -> dict[str, Any]:
    contacts = []
    if parent_email:
        contacts.append(
            {
                "contact_id": "c1",
                "name": "Pat Parent",
                "relationship": "mother",
                "parental_responsibility": True,
                "email": parent_email,
                "phone": "07700900001",
                "priority": 1,
            }
        )
    return {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "date_of_birth": "2015-03-01",
        "year_group": year_group,
        "start_date": start_date,
        "characteristics": {
            "fsm_eligible": False,
            "sen_status": "N",
            "has_social_worker": False,
            **characteristics,
        },
        "social_worker": {"name": "Sam Worker", "email": social_worker_email, "phone": None}
        if social_worker_email
        else None,
        "contacts": contacts,
    }


def mark(upn: str, date: str, session: str = "AM", code: str = "/", **extra: Any) -> dict[str, Any]:
    return {"upn": upn, "date": date, "session": session, "code": code, **extra}
