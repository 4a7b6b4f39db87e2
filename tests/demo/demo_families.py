"""The families part of `make demo`: a parent reports an illness in the morning and is not chased
by the first-day message, a classmate's parent (who did not report) is; a leave request is granted.

Uses the first demo school after its half-term replay; `parent0.a.<urn>` is pupil 0's mother.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from demo_range import DEMO_LA
from e2e_school import make_school

from attendance_common.auth import mint_token
from attendance_common.clock import now_utc, today_in_london


def scene(
    client: httpx.Client, url: Callable[[str, str], str], secret: str, urn: str, pupils: int
) -> list[str]:
    """Play the scene; the lines to print."""
    school = make_school(urn, DEMO_LA, size=pupils, seed=0)
    reported, silent = school.pupils[0], school.pupils[2]
    mother = _headers(secret, "parent", sub="demo-parent", email=str(reported.contacts[0]["email"]))
    staff = _headers(secret, "school_staff", sub="demo-office", name="School office", schools=[urn])
    mis = _headers(secret, "mis", sub="demo-mis", schools=[urn])
    today = today_in_london()
    lines = []

    body = {"first_date": today.isoformat(), "reason": "illness", "note": "Temperature in the night"}
    path = f"/v1/schools/{urn}/pupils/{reported.upn}/absence-reports"
    report = client.post(url("registers", path), json=body, headers=mother).raise_for_status().json()
    queue = client.get(url("registers", f"/v1/schools/{urn}/absence-reports"), headers=staff).json()
    lines.append(f"07:45 {reported.contacts[0]['name']} reports {reported.upn} ill today: {report['status']}")
    lines.append(
        f"07:45 the office's queue shows {len(queue['absence_reports'])} report(s), the newest {report['id']}"
    )
    time.sleep(2)  # the register is taken later in the morning

    since = now_utc()
    marks = [
        {"upn": p.upn, "date": today.isoformat(), "session": "AM", "code": "N"} for p in (reported, silent)
    ]
    client.post(
        url("registers", f"/v1/schools/{urn}/marks"), json={"marks": marks}, headers=mis
    ).raise_for_status()
    lines.append(f"09:05 the register: N for {reported.upn} (reported) and {silent.upn} (not reported)")
    contacts = _wait(lambda: _first_day(client, url, staff, urn, {reported.upn, silent.upn}, since))
    for upn, label in ((reported.upn, "reported"), (silent.upn, "not reported")):
        mine = Counter((c, s, e) for u, c, s, e in contacts if u == upn)
        found = ", ".join(f"{n} {c} {s}" + (f" ({e})" if e else "") for (c, s, e), n in sorted(mine.items()))
        lines.append(f"09:05 first-day contact, {label}: {found or 'none yet'}")

    leave_body = {"first_date": (today + dt.timedelta(days=10)).isoformat(), "category": "interview"}
    path = f"/v1/schools/{urn}/pupils/{reported.upn}/leave-requests"
    leave = client.post(url("registers", path), json=leave_body, headers=mother).raise_for_status().json()
    decision = f"/v1/schools/{urn}/leave-requests/{leave['id']}/decision"
    granted = client.post(url("registers", decision), json={"decision": "granted"}, headers=staff).json()
    code = granted["expected_code"]
    lines.append(
        f"10:30 leave asked for an interview on {leave['first_date']}: {granted['status']} (code {code})"
    )
    feed = _wait(lambda: [m for m in _feed(client, url, mother) if m["kind"] == "leave_request_decided"])
    lines.append(f"10:30 in the parent's app: {feed[0]['title'] if feed else 'not yet'}")
    return lines


def _headers(secret: str, role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(secret=secret, role=role, ttl_seconds=3600, **claims)}


def _first_day(
    client: httpx.Client, url, headers, urn: str, upns: set[str], since: dt.datetime
) -> list[tuple[str, str, str, str]]:
    """Today's first-day contacts about these pupils (the replayed half-term had its own), once
    each pupil has some and none is still waiting to be sent."""
    found = []
    for upn in sorted(upns):
        params = {"school": urn, "upn": upn, "limit": 1000}
        answer = client.get(url("notifications", "/v1/notifications"), params=params, headers=headers)
        found += [
            (d["upn"], d["channel"], d["status"], d["error"] or "")
            for d in answer.raise_for_status().json()["notifications"]
            if d["trigger"] == "first_day_absence" and dt.datetime.fromisoformat(d["created_at"]) >= since
        ]
    settled = {u for u, *_ in found} == upns and all(status != "pending" for _, _, status, _ in found)
    return sorted(found) if settled else []


def _feed(client: httpx.Client, url, headers) -> list[dict[str, Any]]:
    return (
        client.get(url("notifications", "/v1/parent/messages"), headers=headers)
        .raise_for_status()
        .json()["messages"]
    )


def _wait(look: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := look()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return found
