"""Who is one family (api.md "Casework"): pupils whose priority-1 contact with parental responsibility
has the same email, across schools. A pupil with no such contact is a family of one."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from attendance_common.events.registers import Contact


def normalise_email(email: str | None) -> str | None:
    """Emails match case-insensitively everywhere (api.md "Auth")."""
    cleaned = (email or "").strip().lower()
    return cleaned or None


def family_email(contacts: Iterable[Contact]) -> str | None:
    """The email of the pupil's first priority-1 contact with parental responsibility, if it has one."""
    for contact in contacts:
        if contact.priority == 1 and contact.parental_responsibility:
            return normalise_email(contact.email)
    return None


def family_key(secret: str, upn: str, contacts: Iterable[Contact]) -> str:
    """An opaque, stable key: a keyed hash of the family's email, or of the UPN for a family of one.

    Keyed (HMAC), so a published key cannot be matched against a guessed email without the secret.
    """
    email = family_email(contacts)
    name = f"email:{email}" if email else f"upn:{upn.upper()}"
    return "fam_" + hmac.new(secret.encode(), name.encode(), hashlib.sha256).hexdigest()[:24]


def stored_contacts(contacts: Iterable[Contact]) -> list[dict[str, Any]]:
    """What casework keeps of a pupil's contacts: enough to name a parent in a legal action."""
    return [
        {
            "contact_id": c.contact_id,
            "email": normalise_email(c.email),
            "parental_responsibility": c.parental_responsibility,
            "priority": c.priority,
        }
        for c in contacts
    ]
