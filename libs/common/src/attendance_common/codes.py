"""The statutory attendance code table and the measures built on it (domain.md 2-4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

# The rulebook this module encodes: the School Attendance (Pupil Registration)
# (England) Regulations 2024, in force from 19 August 2024. Alerts record it, so
# a change in the law gets a new version rather than silently rewriting history.
RULES_VERSION = "2024.1"


class Category(StrEnum):
    """The statistical category a code falls into."""

    present = "present"
    approved_educational_activity = "approved_educational_activity"
    authorised_absence = "authorised_absence"
    unauthorised_absence = "unauthorised_absence"
    not_counted = "not_counted"
    administrative = "administrative"


_POSSIBLE = frozenset(
    {
        Category.present,
        Category.approved_educational_activity,
        Category.authorised_absence,
        Category.unauthorised_absence,
    }
)


@dataclass(frozen=True)
class Code:
    """One register code with a plain-English meaning a parent can read."""

    code: str
    meaning: str
    category: Category

    @property
    def possible(self) -> bool:
        """Whether a session with this code counts as a possible session."""
        return self.category in _POSSIBLE


def _table(*rows: tuple[str, str, Category]) -> Mapping[str, Code]:
    return MappingProxyType({c: Code(c, meaning, cat) for c, meaning, cat in rows})


_P = Category.present
_AEA = Category.approved_educational_activity
_AUTH = Category.authorised_absence
_UNAUTH = Category.unauthorised_absence
_NC = Category.not_counted
_ADMIN = Category.administrative

CODES: Mapping[str, Code] = _table(
    ("/", "Present (morning)", _P),
    ("\\", "Present (afternoon)", _P),
    ("L", "Late, arrived before the register closed", _P),
    ("K", "Education arranged by the local authority elsewhere", _AEA),
    ("V", "Educational visit or trip", _AEA),
    ("P", "Approved sporting activity", _AEA),
    ("W", "Work experience", _AEA),
    ("B", "Other approved educational activity", _AEA),
    ("C1", "Licensed performance or employment abroad", _AUTH),
    ("M", "Medical or dental appointment", _AUTH),
    ("J1", "Interview for a job or a school place", _AUTH),
    ("S", "Study leave for a public exam", _AUTH),
    ("C2", "Part-time timetable", _AUTH),
    ("C", "Leave for exceptional circumstances", _AUTH),
    ("T", "Travelling (mobile child)", _AUTH),
    ("R", "Religious observance", _AUTH),
    ("I", "Illness", _AUTH),
    ("E", "Suspended or excluded, no alternative provision", _AUTH),
    ("G", "Holiday not authorised", _UNAUTH),
    ("N", "Reason not yet provided", _UNAUTH),
    ("O", "Absent, other or unknown reason", _UNAUTH),
    ("U", "Arrived after the register closed", _UNAUTH),
    ("D", "Attending another school (dual registration)", _NC),
    ("X", "Below compulsory school age, not required to attend", _NC),
    ("Q", "Unable to attend: no access arrangements", _NC),
    ("Y1", "Unable to attend: transport not available", _NC),
    ("Y2", "Unable to attend: widespread transport disruption", _NC),
    ("Y3", "Unable to attend: part of the school closed", _NC),
    ("Y4", "Unable to attend: whole school closed", _NC),
    ("Y5", "Unable to attend: in criminal justice detention", _NC),
    ("Y6", "Unable to attend: public health guidance or law", _NC),
    ("Y7", "Unable to attend: other unavoidable reason", _NC),
    ("Z", "Prospective pupil, not yet on roll", _ADMIN),
    ("#", "Planned whole-school closure", _ADMIN),
)

# Retired code -> what to send instead; the API error names it so the sender can fix the mark.
RETIRED: Mapping[str, str] = MappingProxyType(
    {
        "H": "C",
        "J": "J1",
        "Y": "Y1..Y7 or Q",
        # Retired long before 2024 with no one-to-one successor.
        "F": "the code for the actual reason",
    }
)
_RETIRED_WHEN = MappingProxyType(
    {"H": "on 19 Aug 2024", "J": "on 19 Aug 2024", "Y": "on 19 Aug 2024", "F": "in 2013"}
)

NO_MARK = "-"
CLOSURE = "#"
# The codes that count towards a penalty notice (domain.md 5).
UNAUTHORISED_FOR_PENALTY = frozenset({"G", "N", "O", "U"})
# A 20-school-day run of these is a possible ground for deletion from roll.
DELETION_GROUND_CODES = frozenset({"G", "N", "O"})


class CodeError(ValueError):
    """A string that is not a current attendance code."""

    def __init__(self, error_code: str, message: str, code: str) -> None:
        super().__init__(message)
        self.error_code = error_code  # unknown_code, retired_code or no_mark
        self.message = message
        self.code = code


# How much of a value as sent an error message repeats: enough to recognise it, never a whole body.
ECHO_LENGTH = 50


def lookup(code: str) -> Code:
    """Return the Code for `code`, or raise CodeError naming what to send instead.

    ASCII letters are accepted in either case and upper-cased, because MIS
    exports vary; `/`, `\\` and `#` have no case. Whitespace is not stripped:
    a padded code is reported as unknown so the sender sees the bad input.
    """
    # ASCII only: str.upper() maps some non-ASCII letters (e.g. dotless i) onto codes.
    canonical = code.upper() if code.isascii() else code
    found = CODES.get(canonical)
    if found is not None:
        return found
    if canonical in RETIRED:
        message = f"{canonical} was retired {_RETIRED_WHEN[canonical]}: use {RETIRED[canonical]}"
        raise CodeError("retired_code", message, code)
    if code == NO_MARK:
        message = "- is the MIS 'no mark' placeholder, not a code: send a code or leave the session out"
        raise CodeError("no_mark", message, code)
    raise CodeError("unknown_code", f"{code[:ECHO_LENGTH]!r} is not an attendance code", code)


def is_school_day_mark(code: str) -> bool:
    """Whether a mark makes its date a school day (any code but `#`, domain.md 4)."""
    return code != CLOSURE


@dataclass(frozen=True)
class Counts:
    """Session counts in the four categories that make up possible sessions."""

    present: int = 0
    approved_educational_activity: int = 0
    authorised_absence: int = 0
    unauthorised_absence: int = 0

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def add_code(self, code: str | Code) -> Counts:
        """Return these counts plus one session marked `code`."""
        found = code if isinstance(code, Code) else lookup(code)
        if not found.possible:
            return self
        name = found.category.value
        return replace(self, **{name: getattr(self, name) + 1})

    @property
    def possible_sessions(self) -> int:
        return (
            self.present
            + self.approved_educational_activity
            + self.authorised_absence
            + self.unauthorised_absence
        )

    @property
    def absence_sessions(self) -> int:
        return self.authorised_absence + self.unauthorised_absence


def count_codes(codes: Iterable[str]) -> Counts:
    """Count a sequence of marks, raising CodeError on the first bad one."""
    tally = dict.fromkeys((f.name for f in fields(Counts)), 0)
    for code in codes:
        found = lookup(code)
        if found.possible:
            tally[found.category.value] += 1
    return Counts(**tally)


def absence_rate(counts: Counts) -> float | None:
    """Absence sessions over possible sessions, or None when there are none."""
    if counts.possible_sessions == 0:
        return None
    return counts.absence_sessions / counts.possible_sessions


def attendance_rate(counts: Counts) -> float | None:
    """Attended (present or approved activity) over possible sessions, or None."""
    if counts.possible_sessions == 0:
        return None
    # Computed from its own numerator rather than 1 - absence so it is exact to one rounding.
    attended = counts.possible_sessions - counts.absence_sessions
    return attended / counts.possible_sessions


def pooled_rate(counts: Iterable[Counts]) -> float | None:
    """Pooled absence rate: total absences over total possible sessions, as DfE does."""
    return absence_rate(sum(counts, Counts()))


PERSISTENT_THRESHOLD = Fraction(1, 10)
SEVERE_THRESHOLD = Fraction(1, 2)


def absence_at_least(counts: Counts, threshold: Fraction) -> bool:
    """Whether the absence rate is >= threshold, compared exactly in integers."""
    if counts.possible_sessions == 0:
        return False
    # absence / possible >= n / d  <=>  absence * d >= n * possible (both denominators > 0).
    return counts.absence_sessions * threshold.denominator >= (threshold.numerator * counts.possible_sessions)


def _at_least(measure: Counts | float | None, threshold: Fraction) -> bool:
    if measure is None:
        return False
    if isinstance(measure, Counts):
        return absence_at_least(measure, threshold)
    # A float from absence_rate is correctly rounded, so it lands on the right side of
    # float(threshold) for any realistic denominator; pass Counts to be exact always.
    return measure >= float(threshold)


def is_persistent_absence(measure: Counts | float | None) -> bool:
    """Persistent absence: absence rate >= 10% (from Counts exactly, or from a rate)."""
    return _at_least(measure, PERSISTENT_THRESHOLD)


def is_severe_absence(measure: Counts | float | None) -> bool:
    """Severe absence: absence rate >= 50% (from Counts exactly, or from a rate)."""
    return _at_least(measure, SEVERE_THRESHOLD)


def summarise(counts: Counts) -> dict[str, Any]:
    """The registers API attendance summary fields for these counts."""
    return {
        "possible_sessions": counts.possible_sessions,
        **asdict(counts),  # the sessions in each category
        "attendance_rate": attendance_rate(counts),
        "absence_rate": absence_rate(counts),
        "persistent_absence": is_persistent_absence(counts),
        "severe_absence": is_severe_absence(counts),
    }


def academic_year_start(d: date) -> date:
    """1 September of the academic year (1 Sep to 31 Aug) containing d."""
    return date(d.year if d.month >= 9 else d.year - 1, 9, 1)


def academic_year_end(d: date) -> date:
    """31 August that ends the academic year containing d."""
    return date(academic_year_start(d).year + 1, 8, 31)


def academic_year_label(d: date) -> str:
    """The academic year containing d, written like "2026/27"."""
    start = academic_year_start(d).year
    return f"{start}/{(start + 1) % 100:02d}"
