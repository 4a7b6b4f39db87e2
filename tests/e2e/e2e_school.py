"""A realistic school's autumn term, generated: pupils, families, contacts and every register mark.

Pure data, no I/O. Pupils follow profiles (severe, persistent, a ten-day run across half-term,
long illness, first-day `N`s, everyone else mostly present with every code family sprinkled in),
so the alerts, cases and messages that must follow can be worked out independently (e2e_expect).
Phase 1 is the term as the MIS posts it register by register; phase 2 is the MIS settling its
`N`s and correcting one pupil's register errors afterwards, in one request.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from attendance_common.identifiers import make_upn

TERM_START = dt.date(2025, 9, 3)
TERM_END = dt.date(2025, 12, 19)
HALF_TERM = (dt.date(2025, 10, 27), dt.date(2025, 10, 31))  # planned whole-school closure: `#`
SESSIONS = ("AM", "PM")
AUTHORISED = ("M", "I", "R", "C", "J1", "T", "S", "C2", "C1", "E")
APPROVED = ("K", "V", "P", "W", "B")
NOT_COUNTED = ("D", "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7")
# Who is who (pupil index -> profile); every other pupil is mostly present.
SEVERE = range(0, 8)
PERSISTENT_AUTHORISED = range(8, 32)
PERSISTENT_UNAUTHORISED = range(32, 44)
REGISTER_ERRORS = 43  # its `O`s were mistakes: all amended to present in phase 2
TEN_DAY_RUNS = {44: 33, 45: 45, 46: 55}  # pupil -> first day index of 10 unauthorised school days
ILLNESS = {47: 50, 48: 52, 49: 54}  # pupil -> first day index of 16 school days of `I`
ILLNESS_FIRST_RECORDED_AS_N = 49  # its first two days came in as `N`, settled to `I` in phase 2
FIRST_DAY = range(50, 90)  # one or two `N` sessions; 50..79 settled in phase 2, 80..89 never
SIBLINGS = 40  # pupil i < 40 and pupil 150 + i share their parents (one family)
LATE_JOINER = 298  # on roll from 6 October; its first session is `Z`
DELETED = 288  # taken off roll (moved away) at the end


@dataclass
class Pupil:
    index: int
    upn: str
    family: int
    year_group: str
    start_date: dt.date
    has_social_worker: bool
    social_worker: dict[str, str] | None
    contacts: list[dict[str, object]]
    marks: dict[tuple[dt.date, str], str] = field(default_factory=dict)  # final, after phase 2
    posted: dict[tuple[dt.date, str], str] = field(default_factory=dict)  # as phase 1 sent them

    def body(self) -> dict[str, object]:
        """The PUT /v1/schools/{urn}/pupils/{upn} body an MIS sends."""
        return {
            "given_name": f"Pupil{self.index}",
            "family_name": f"Family{self.family}",
            "date_of_birth": f"{2014 + self.index % 6}-0{1 + self.index % 9}-1{self.index % 9}",
            "year_group": self.year_group,
            "start_date": self.start_date.isoformat(),
            "characteristics": {
                "fsm_eligible": self.index % 4 == 0,
                "sen_status": "NKE"[self.index % 3] if self.index % 10 == 0 else "N",
                "has_social_worker": self.has_social_worker,
            },
            "social_worker": self.social_worker,
            "contacts": self.contacts,
        }


@dataclass
class School:
    urn: str
    la_code: str
    days: list[dt.date]  # school days, in order
    closure: list[dt.date]
    pupils: list[Pupil]
    amendments: list[dict[str, object]]  # phase 2, one request

    def registers(self) -> list[tuple[dt.date, str, list[dict[str, object]]]]:
        """Phase 1: every register (date, session, marks) in the order the MIS sends them."""
        out = []
        for day in sorted([*self.days, *self.closure]):
            for session in SESSIONS:
                marks = [
                    _mark(p.upn, day, session, p.posted[(day, session)])
                    for p in self.pupils
                    if (day, session) in p.posted
                ]
                out.append((day, session, marks))
        return out

    def mark_count(self) -> int:
        return sum(len(p.posted) for p in self.pupils)


def _mark(upn: str, day: dt.date, session: str, code: str, reason: str | None = None) -> dict[str, object]:
    mark: dict[str, object] = {"upn": upn, "date": day.isoformat(), "session": session, "code": code}
    if code == "L":
        mark["minutes_late"] = 12
    if reason:
        mark["reason"] = reason
    return mark


def term_days() -> tuple[list[dt.date], list[dt.date]]:
    days, closure = [], []
    day = TERM_START
    while day <= TERM_END:
        if day.weekday() < 5:
            (closure if HALF_TERM[0] <= day <= HALF_TERM[1] else days).append(day)
        day += dt.timedelta(days=1)
    return days, closure


def contacts_of(family: int, urn: str, shouting: bool) -> list[dict[str, object]]:
    """Mother (priority 1), father for even families, a grandparent without responsibility for some."""
    email = f"parent{family}.a.{urn}@example.com"
    phone_only = family % 11 == 0 and family >= SIBLINGS  # no email: SMS only, and a family of one
    mother: dict[str, object] = {
        "contact_id": "c1",
        "name": f"Mother {family}",
        "relationship": "mother",
        "parental_responsibility": True,
        "email": None if phone_only else (email.upper() if shouting else email),
        "phone": "07700900" + f"{family % 1000:03d}",
        "priority": 1,
    }
    contacts = [mother]
    if family % 2 == 0:
        contacts.append(
            {
                "contact_id": "c2",
                "name": f"Father {family}",
                "relationship": "father",
                "parental_responsibility": True,
                "email": f"parent{family}.b.{urn}@example.com",
                "phone": None,
                "priority": 2,
            }
        )
    if family % 5 == 0:
        contacts.append(
            {
                "contact_id": "c3",
                "name": f"Grandparent {family}",
                "relationship": "grandparent",
                "parental_responsibility": False,
                "email": f"grandparent{family}.{urn}@example.com",
                "phone": None,
                "priority": 3,
            }
        )
    return contacts


def make_school(urn: str, la_code: str, size: int = 300, seed: int = 7) -> School:
    assert size >= 150, "the profiles need at least 150 pupils"
    rng = random.Random(seed)
    days, closure = term_days()
    pupils = []
    for i in range(size):
        family = i - 150 if 150 <= i < 150 + SIBLINGS else i
        sw = i % 15 == 3
        pupils.append(
            Pupil(
                index=i,
                upn=make_upn("801", urn[-4:], f"{15 + i // 1000:02d}", f"{i % 1000:03d}"),
                family=family,
                year_group=str(1 + i % 6),
                start_date=dt.date(2025, 10, 6) if i == LATE_JOINER else dt.date(2024, 9, 1),
                has_social_worker=sw,
                social_worker=(
                    {"name": f"Worker {i}", "email": f"sw{i}.{urn}@council.example", "phone": "0300"}
                    if sw and i != 18
                    else None
                ),
                contacts=contacts_of(family, urn, shouting=i >= 150 and i % 7 == 0),
            )
        )
    for pupil in pupils:
        fill_marks(pupil, days, closure, rng)
        pupil.posted = dict(pupil.marks)
    amendments = settle(pupils, rng)
    return School(urn, la_code, days, closure, pupils, amendments)


def fill_marks(p: Pupil, days: list[dt.date], closure: list[dt.date], rng: random.Random) -> None:
    i = p.index
    sessions = [(d, s) for d in days if d >= p.start_date for s in SESSIONS]
    for key in sessions:
        p.marks[key] = "/" if key[1] == "AM" else "\\"
    for d in closure:
        for s in SESSIONS:
            p.marks[(d, s)] = "#"
    if i in SEVERE:
        for k, key in enumerate(sessions):
            if k % 5 < 3:
                p.marks[key] = ("O", "I", "M")[k % 5]
    elif i in PERSISTENT_AUTHORISED:
        for k, key in enumerate(sessions):
            if k % 5 == i % 5:
                p.marks[key] = ("M", "I", "R", "C", "I")[(k // 5) % 5]
    elif i in PERSISTENT_UNAUTHORISED:
        for k, key in enumerate(sessions):
            if k % 4 == 0:
                p.marks[key] = ("O", "G", "O", "U")[(k // 4) % 4]
    elif i in TEN_DAY_RUNS:
        start = TEN_DAY_RUNS[i]
        for n, d in enumerate(days[start : start + 10]):
            for s in SESSIONS:
                p.marks[(d, s)] = "N" if n == 0 else ("O", "G")[n % 2]
    elif i in ILLNESS:
        start = ILLNESS[i]
        for n, d in enumerate(days[start : start + 16]):
            for s in SESSIONS:
                p.marks[(d, s)] = "N" if i == ILLNESS_FIRST_RECORDED_AS_N and n < 2 else "I"
    elif i in FIRST_DAY:
        for _ in range(1 + i % 2):
            p.marks[sessions[rng.randrange(12, len(sessions))]] = "N"
        sprinkle(p, sessions, rng, absences=False)
    else:
        sprinkle(p, sessions, rng, absences=True)
    if i == LATE_JOINER:
        p.marks[sessions[0]] = "Z"


def sprinkle(p: Pupil, sessions: list[tuple[dt.date, str]], rng: random.Random, absences: bool) -> None:
    """Every code family, a little: approved activity, lateness, not-counted codes, a few absences."""
    j = p.index
    free = list(range(len(sessions)))
    rng.shuffle(free)

    def put(code: str, late_only: bool = False) -> None:
        spot = next(k for k in free if not late_only or k >= 40)
        free.remove(spot)
        if p.marks[sessions[spot]] in ("/", "\\"):
            p.marks[sessions[spot]] = code

    put(APPROVED[j % len(APPROVED)])
    put("L")
    put(NOT_COUNTED[j % len(NOT_COUNTED)])
    if absences:
        put(AUTHORISED[j % len(AUTHORISED)], late_only=True)
        if j % 3 == 0:
            put(("U", "G")[j % 2], late_only=True)


def settle(pupils: list[Pupil], rng: random.Random) -> list[dict[str, object]]:
    """Phase 2: the MIS settles `N`s (to I, M or O) and corrects one pupil's register errors."""
    amendments = []
    for p in pupils:
        for (d, s), code in sorted(p.marks.items()):
            new = None
            if code == "N" and (p.index in range(50, 80) or p.index in (44, 45)):
                new = ("I", "M", "O")[rng.randrange(3)] if p.index >= 50 else "O"
            elif code == "N" and p.index == ILLNESS_FIRST_RECORDED_AS_N:
                new = "I"
            elif code == "O" and p.index == REGISTER_ERRORS:
                new = "/" if s == "AM" else "\\"
            if new:
                p.marks[(d, s)] = new
                amendments.append(_mark(p.upn, d, s, new, reason=f"settled by the office ({code} -> {new})"))
    return amendments
