"""`make demo`: a synthetic first half-term for a few schools, replayed into a running `make run`.

Posts each school's pupils and registers as its MIS would, waits for the system to settle, then
prints what followed: alerts by type, cases by stage, messages by channel. Then families speak
(demo_families): a parent reports an illness in the morning and is not chased; leave is granted.
Ports are `make run`'s (REGISTERS_PORT ... as there); the token secret is ATTENDANCE_JWT_SECRET or
the development one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from demo_families import scene
from demo_range import DEMO_LA, MAX_SCHOOLS, banner, demo_urns
from e2e_school import HALF_TERM, make_school

from attendance_common.auth import mint_token
from attendance_common.settings import DEVELOPMENT_JWT_SECRET, StackSettings

SECRET = os.environ.get("ATTENDANCE_JWT_SECRET", DEVELOPMENT_JWT_SECRET)
ADMIN = {"Authorization": "Bearer " + mint_token(secret=SECRET, sub="demo", role="admin", ttl_seconds=3600)}


def url(service: str, path: str) -> str:
    settings = StackSettings()
    return f"http://{settings.host}:{settings.port_of(service)}{path}"


def pages(client: httpx.Client, service: str, path: str, key: str, **params: object) -> list[dict]:
    items, after = [], None
    while True:
        query = {**params, "limit": 1000, **({"after": after} if after else {})}
        body = client.get(url(service, path), params=query, headers=ADMIN).raise_for_status().json()
        items += body[key]
        after = body.get("next")
        if not after:
            return items


def replay(client: httpx.Client, urn: str, seed: int, pupils: int) -> int:
    school = make_school(urn, DEMO_LA, size=pupils, seed=seed)
    body = {"name": f"Demo School {urn}", "la_code": DEMO_LA, "phase": "primary"}
    client.put(url("registers", f"/v1/schools/{urn}"), json=body, headers=ADMIN).raise_for_status()
    for pupil in school.pupils:
        path = f"/v1/schools/{urn}/pupils/{pupil.upn}"
        client.put(url("registers", path), json=pupil.body(), headers=ADMIN).raise_for_status()
    marks = 0
    for day, _, register in school.registers():
        if day < HALF_TERM[0]:
            path = f"/v1/schools/{urn}/marks"
            client.post(url("registers", path), json={"marks": register}, headers=ADMIN).raise_for_status()
            marks += len(register)
    return marks


def look(client: httpx.Client, urns: list[str]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    alerts: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    for urn in urns:
        alerts.update(a["type"] for a in pages(client, "alerts", "/v1/alerts", "alerts", school=urn))
        stages.update(c["stage"] for c in pages(client, "casework", "/v1/cases", "cases", school=urn))
        deliveries = pages(client, "notifications", "/v1/notifications", "notifications", school=urn)
        channels.update(f"{d['channel']} ({d['status']})" for d in deliveries)
    return alerts, stages, channels


def ready(client: httpx.Client, timeout: float = 60) -> bool:
    """Every service ready (a stack just started takes a few seconds)."""
    deadline = time.monotonic() + timeout
    for service in ("registers", "alerts", "casework", "notifications"):
        while True:
            try:
                if client.get(url(service, "/readyz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schools", type=int, default=3, choices=range(1, MAX_SCHOOLS + 1), metavar="N")
    parser.add_argument("--pupils", type=int, default=150)
    parser.add_argument("--wait", type=float, default=90, help="seconds to wait for the system to settle")
    args = parser.parse_args()
    urns = demo_urns(args.schools)
    started = time.monotonic()
    with httpx.Client(timeout=60) as client:
        if not ready(client):
            print("demo: no stack answers on the services' ports: start one with `make run`", file=sys.stderr)
            return 1
        print(banner(urns))
        for n, urn in enumerate(urns):
            marks = replay(client, urn, seed=n, pupils=args.pupils)
            print(f"demo: school {urn}: {args.pupils} pupils, {marks} marks of the first half-term posted")
        last, quiet_since = None, time.monotonic()
        while time.monotonic() - started < args.wait:
            now = look(client, urns)
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since > 6:
                break  # nothing changed for a while: settled
            time.sleep(1)
    assert last is not None
    for title, figures in zip(("alerts by type", "cases by stage", "messages by channel"), last, strict=True):
        print(f"\n{title}")
        for name, count in sorted(figures.items(), key=lambda item: -item[1]):
            print(f"  {name:40} {count}")
    print("\nfamilies speak (a parent's report, a leave request)")
    with httpx.Client(timeout=60) as client:
        for line in scene(client, url, SECRET, urns[0], args.pupils):
            print(f"  {line}")
    print(
        f"\ndemo: done in {time.monotonic() - started:.0f} s"
        " (open alerts; cases; every delivery with its status)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
