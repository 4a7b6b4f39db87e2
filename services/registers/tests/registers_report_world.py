"""The world the report tests read (api.md "Reports for leaders, governors, trusts and LAs").

Period 28 September to 31 October 2026: weeks W0 (28 Sep), W1 (5 Oct), W2 (12 Oct), W3 (19 Oct) of
school, then half term (26-30 Oct) marked `#`. Every pupil has 40 possible sessions.

School A (primary, in trust T and LA L), 6 pupils:
| pupil | year | characteristics | absent             | rate  | PA | SA |
| a1    | 6    | FSM             | I all of W1 (10)   | 10/40 | y  |    |
| a2    | 6    | SEN K           | O all of W0, W1    | 20/40 | y  | y  |
| a3    | 5    |                 | N on 28 Sep (2)    | 2/40  |    |    |
| a4    | 5    | FSM             | M 1 of W3          | 1/40  |    |    |
| a5    | 5    | social worker   | -                  | 0     |    |    |
| a6    | 6    |                 | G 4 of W2          | 4/40  | y  |    |
School B (primary, trust T, LA L), 3 pupils, b1 ill (I) 2 sessions of W0. School C (secondary, LA L,
no trust), 1 pupil present throughout.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from registers_factories import auth, mark, new_upn, new_urn, pupil_body

PERIOD = {"from": "2026-09-28", "to": "2026-10-31"}
MONDAYS = {"W0": "2026-09-28", "W1": "2026-10-05", "W2": "2026-10-12", "W3": "2026-10-19", "HT": "2026-10-26"}
ADMIN = auth("admin")
_la_codes = itertools.count(700)


def week(name: str) -> list[tuple[str, str]]:
    monday = dt.date.fromisoformat(MONDAYS[name])
    days = [(monday + dt.timedelta(days=n)).isoformat() for n in range(5)]
    return [(day, session) for day in days for session in ("AM", "PM")]


def sessions(absent: dict[str, tuple[str, int]] | None = None) -> dict[tuple[str, str], str]:
    """W0-W3 present but for (code, how many sessions) per week, half term `#`."""
    marks = {slot: "#" for slot in week("HT")}
    for name in ("W0", "W1", "W2", "W3"):
        code, count = (absent or {}).get(name, ("/", 0))
        marks |= {slot: (code if i < count else "/") for i, slot in enumerate(week(name))}
    return marks


SCHOOL_A = {
    "a1": ({"year_group": "6", "fsm_eligible": True}, sessions({"W1": ("I", 10)})),
    "a2": ({"year_group": "6", "sen_status": "K"}, sessions({"W0": ("O", 10), "W1": ("O", 10)})),
    "a3": ({"year_group": "5"}, sessions({"W0": ("N", 2)})),
    "a4": ({"year_group": "5", "fsm_eligible": True}, sessions({"W3": ("M", 1)})),
    "a5": ({"year_group": "5", "has_social_worker": True}, sessions()),
    "a6": ({"year_group": "6"}, sessions({"W2": ("G", 4)})),
}
SCHOOL_B = {
    "b1": ({"year_group": "3"}, sessions({"W0": ("I", 2)})),
    "b2": ({"year_group": "3"}, sessions()),
    "b3": ({"year_group": "4"}, sessions()),
}
SCHOOL_C = {"c1": ({"year_group": "9"}, sessions())}


async def put_school(client, urn: str, name: str, la: str, phase: str, trust: str | None) -> None:
    body: dict[str, Any] = {"name": name, "la_code": la, "phase": phase}
    if trust:
        body["trust"] = {"id": trust, "name": "Report Trust"}
    assert (await client.put(f"/v1/schools/{urn}", json=body, headers=ADMIN)).status_code == 201


async def put_pupils(client, urn: str, pupils: dict[str, tuple[dict[str, Any], dict]]) -> None:
    marks = []
    for name, (fields, slots) in pupils.items():
        upn = new_upn()
        body = pupil_body(
            year_group=fields["year_group"], **{k: v for k, v in fields.items() if k != "year_group"}
        )
        body["given_name"], body["family_name"] = f"Given{name}", f"Family{name}"
        assert (
            await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=body, headers=ADMIN)
        ).status_code == 201
        marks += [mark(upn, day, session, code) for (day, session), code in slots.items()]
    answer = await client.post(f"/v1/schools/{urn}/marks", json={"marks": marks}, headers=ADMIN)
    assert answer.json()["rejected"] == [], answer.json()


class World:
    def __init__(self) -> None:
        self.a, self.b, self.c = new_urn(), new_urn(), new_urn()
        self.la = str(next(_la_codes))
        self.trust = f"T{self.a}"


async def seed_world(client) -> World:
    """Schools A, B and C with their pupils and marks, by the API."""
    w = World()
    await put_school(client, w.a, "Ash Primary", w.la, "primary", w.trust)
    await put_school(client, w.b, "Birch Primary", w.la, "Primary", w.trust)
    await put_school(client, w.c, "Cedar High", w.la, "secondary", None)
    await put_pupils(client, w.a, SCHOOL_A)
    await put_pupils(client, w.b, SCHOOL_B)
    await put_pupils(client, w.c, SCHOOL_C)
    return w
