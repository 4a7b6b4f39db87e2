"""The pipeline benchmark's load: a synthetic LA's pupils, mornings of registers, and what the
services' databases say they have applied (the lag), read directly: a benchmark may look inside.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import httpx

from attendance_common.auth import mint_token
from attendance_common.db import Database
from attendance_common.identifiers import make_upn
from attendance_common.settings import DEVELOPMENT_JWT_SECRET
from registers.pupils import upsert_pupil
from registers.schemas import PupilIn, SchoolIn
from registers.schools import upsert_school

ADMIN = {"Authorization": "Bearer " + mint_token(secret=DEVELOPMENT_JWT_SECRET, sub="bench", role="admin")}
PUPIL_PROJECTIONS = ("alerts", "casework", "notifications")  # services with a table of pupils
CODES = ["/"] * 90 + ["L"] * 3 + ["N"] * 4 + ["I"] * 2 + ["M"]  # 4% first-day absences


def urn_of(school: int) -> str:
    return str(400_000 + school)


def upn_of(school: int, pupil: int) -> str:
    return make_upn("802", f"{school:04d}", f"{15 + pupil // 1000:02d}", f"{pupil % 1000:03d}")


def pupil_body(school: int, pupil: int) -> dict[str, object]:
    return {
        "given_name": "Pupil",
        "family_name": str(pupil),
        "date_of_birth": "2015-03-01",
        "year_group": str(1 + pupil % 6),
        "start_date": "2024-09-01",
        "characteristics": {"fsm_eligible": pupil % 4 == 0, "sen_status": "N", "has_social_worker": False},
        "social_worker": None,
        "contacts": [
            {
                "contact_id": "c1",
                "name": "Parent",
                "relationship": "mother",
                "parental_responsibility": True,
                "email": f"p{pupil}.{urn_of(school)}@example.com",
                "phone": None,
                "priority": 1,
            }
        ],
    }


def register(school: int, pupils: int, day: dt.date, session: str) -> list[dict[str, object]]:
    salt = day.toordinal() * 2 + (session == "PM")
    return [
        {
            "upn": upn_of(school, p),
            "date": day.isoformat(),
            "session": session,
            "code": CODES[(p * 37 + school * 11 + salt * 13) % 100],
        }
        for p in range(pupils)
    ]


async def run_all(jobs: Sequence, concurrency: int) -> None:  # type: ignore[type-arg]
    queue = list(jobs)
    queue.reverse()

    async def worker() -> None:
        while queue:
            await queue.pop()()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def send(
    client: httpx.AsyncClient, method: str, url: str, extra: dict[str, str] | None = None, **kw: object
) -> httpx.Response:
    """One request, tried again after a dropped connection (a keep-alive closed under load)."""
    for attempt in range(5):
        try:
            answer = await client.request(method, url, headers={**ADMIN, **(extra or {})}, **kw)  # type: ignore[arg-type]
            return answer.raise_for_status()
        except httpx.TransportError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")


async def seed(url: str, schools: int, pupils: int) -> None:
    """Schools and pupils by the registers' own use cases, in-process, a school per transaction:
    their events (through the outbox and relay) build every projection. Setting up is not measured."""
    database = Database(url)
    try:
        for s in range(schools):
            async with database.transaction() as session:
                body = SchoolIn(name=f"Bench {s}", la_code="380", phase="primary")
                school, _ = await upsert_school(session, urn=urn_of(s), data=body)
                await session.flush()  # the school row before its pupils' (the API has them in two requests)
                for p in range(pupils):
                    data = PupilIn.model_validate(pupil_body(s, p))
                    await upsert_pupil(session, school=school, upn=upn_of(s, p), data=data)
    finally:
        await database.dispose()


@dataclass
class Posted:
    """When each register was answered (wall clock), by (urn, date, session)."""

    answered: dict[tuple[str, str, str], float] = field(default_factory=dict)
    marks: int = 0
    first_sent: float = 0
    last_answered: float = 0


async def post_registers(
    client: httpx.AsyncClient,
    base: str,
    registers: list[tuple[int, dt.date, str, list[dict[str, object]]]],
    *,
    concurrency: int,
    rate: float | None,
    posted: Posted,
) -> None:
    """Post registers at saturation (`rate` None) or paced to `rate` marks/s."""
    posted.first_sent = time.time()
    offsets = []
    total = 0
    for _, _, _, marks in registers:
        offsets.append(total / rate if rate else 0.0)
        total += len(marks)

    def post(n: int):
        school, day, session, marks = registers[n]

        async def job() -> None:
            await asyncio.sleep(max(0.0, posted.first_sent + offsets[n] - time.time()))
            url = f"{base}/v1/schools/{urn_of(school)}/marks"
            key = {"Idempotency-Key": f"{urn_of(school)}-{day}-{session}-{posted.first_sent}"}
            answer = await send(client, "POST", url, json={"marks": marks}, extra=key)
            assert answer.json()["accepted"] == len(marks), answer.text[:300]
            now = time.time()
            posted.answered[(urn_of(school), day.isoformat(), session)] = now
            posted.marks += len(marks)
            posted.last_answered = max(posted.last_answered, now)

        return job

    await run_all([post(n) for n in range(len(registers))], concurrency=concurrency)


class Databases:
    """Direct connections to the services' databases, to read what they have applied."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = {
            name: url.replace("postgresql+asyncpg://", "postgresql://") for name, url in urls.items()
        }
        self.pg: dict[str, asyncpg.Connection] = {}

    async def open(self) -> None:
        for name, url in self.urls.items():
            self.pg[name] = await asyncpg.connect(url)

    async def close(self) -> None:
        for connection in self.pg.values():
            await connection.close()

    async def settle(self) -> None:
        """As after a night: each database vacuumed and analysed and the seed's pages written out
        (a checkpoint), so the morning is not charged with the cost of setting the benchmark up."""
        for connection in self.pg.values():
            await connection.execute("VACUUM ANALYZE")
        try:  # one for the whole server
            await next(iter(self.pg.values())).execute("CHECKPOINT")
        except asyncpg.InsufficientPrivilegeError:  # a shared server's user may not: its pages wait
            pass

    async def applied(self, days: list[dt.date]) -> dict[str, int]:
        """Marks of these dates each service holds: registers (the truth), alerts, notifications."""
        query = "SELECT count(*) FROM marks WHERE date = ANY($1::date[])"
        return {
            name: await self.pg[name].fetchval(query, days)
            for name in ("registers", "alerts", "notifications")
        }

    async def pupils(self) -> dict[str, int]:
        return {
            name: await self.pg[name].fetchval("SELECT count(*) FROM pupils") for name in PUPIL_PROJECTIONS
        }

    async def wait_for_pupils(self, total: int) -> None:
        """Until every service keeping pupils holds them all: the mornings are timed on their own,
        not behind the seed's pupil events."""
        while True:
            if (await self.pupils()) == dict.fromkeys(PUPIL_PROJECTIONS, total):
                return
            await asyncio.sleep(0.5)

    async def first_day(
        self, days: list[dt.date]
    ) -> tuple[dict[str, tuple[str, str, float]], dict[str, float]]:
        """First-day alerts of these dates (id -> urn, date, raised) and their parents' app messages."""
        rows = await self.pg["alerts"].fetch(
            "SELECT id, school_urn, date, raised_at FROM alerts"
            " WHERE type = 'first_day_absence' AND date = ANY($1::date[])",
            days,
        )
        alerts = {r["id"]: (r["school_urn"], r["date"].isoformat(), r["raised_at"].timestamp()) for r in rows}
        rows = await self.pg["notifications"].fetch(
            "SELECT trigger_key, created_at FROM deliveries"
            " WHERE channel = 'app' AND trigger = 'first_day_absence'"
        )
        messages = {r["trigger_key"].removeprefix("alert:"): r["created_at"].timestamp() for r in rows}
        return alerts, messages
