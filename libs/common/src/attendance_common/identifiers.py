"""Validation of the identifiers schools, LAs and pupils are known by (domain.md 9)."""

from __future__ import annotations

import re

from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.gb import upn as stdnum_upn

# LA numbers created after python-stdnum's list (DfE's 2011 table) was drawn up:
# Dorset and Bournemouth, Christchurch and Poole (2019), North and West
# Northamptonshire (2021), Cumberland and Westmorland and Furness (2023).
# Schools there issue UPNs with these numbers, which stdnum rejects as unknown.
# Only the LA list is extended: the format and check letter are still stdnum's.
_NEWER_LA_NUMBERS = frozenset({"838", "839", "940", "941", "942", "943"})

# The check-letter alphabet: A-Z without I, O and S (also a temporary UPN's last letter).
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

_URN = re.compile(r"[0-9]{6}")
_LA_CODE = re.compile(r"[0-9]{3}")


class IdentifierError(ValueError):
    """A malformed URN, LA code or UPN."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def validate_upn(value: str) -> str:
    """Return the compact upper-case UPN, or raise IdentifierError.

    Case and spaces are ignored (stdnum's compact form). Temporary UPNs, whose
    last character is a letter, are valid: stdnum accepts them as they are.
    """
    try:
        return str(stdnum_upn.validate(value))
    except InvalidLength:
        compact = stdnum_upn.compact(value)
        message = f"UPN must be 13 characters, got {len(compact)}"
    except InvalidFormat:
        message = "UPN must be a check letter, 11 digits and a final digit (or a letter, for a temporary UPN)"
    except InvalidComponent:
        compact = stdnum_upn.compact(value)
        if compact[1:4] in _NEWER_LA_NUMBERS:
            if stdnum_upn.calc_check_digit(compact[1:]) == compact[0]:
                return str(compact)
            message = "UPN check letter does not match the rest of the number"
        else:
            message = f"UPN has an unknown LA number {compact[1:4]}"
    except InvalidChecksum:
        message = "UPN check letter does not match the rest of the number"
    except ValidationError:
        message = "not a valid UPN"
    raise IdentifierError("invalid_upn", message)


def compact_upn(value: str) -> str:
    """The canonical form to look a UPN up by (spaces removed, upper case), without validating it."""
    return stdnum_upn.compact(value)


def is_valid_upn(value: str) -> bool:
    """Whether value is a valid UPN (see validate_upn)."""
    try:
        validate_upn(value)
    except IdentifierError:
        return False
    return True


def validate_urn(value: str) -> str:
    """Return the school URN (6 digits), or raise IdentifierError."""
    urn = value.strip()
    if not _URN.fullmatch(urn):
        raise IdentifierError("invalid_urn", f"URN must be 6 digits, got {value!r}")
    return urn


def validate_la_code(value: str) -> str:
    """Return the LA code (3 digits), or raise IdentifierError."""
    code = value.strip()
    if not _LA_CODE.fullmatch(code):
        raise IdentifierError("invalid_la_code", f"LA code must be 3 digits, got {value!r}")
    return code


def make_upn(la: str, establishment: str, year: str, serial: str) -> str:
    """Build a valid UPN from its parts, for tests and fixtures.

    `serial` is 3 digits for a permanent UPN, or 2 digits and a letter for a
    temporary one. The check letter comes from stdnum, so it matches validation.
    """
    body = f"{la}{establishment}{year}{serial}"
    parts_ok = (
        len(la) == 3
        and len(establishment) == 4
        and len(year) == 2
        and len(serial) == 3
        and body[:-1].isascii()
        and body[:-1].isdigit()
        and (body[-1] in UPN_LETTERS or body[-1] in "0123456789")
    )
    if not parts_ok:
        raise IdentifierError(
            "invalid_upn",
            "UPN parts must be LA (3), establishment (4), year (2) and serial (3) digits",
        )
    return validate_upn(stdnum_upn.calc_check_digit(body) + body)
