"""Schemathesis against the four services, served over real HTTP on databases seeded with security_world's
school, pupils, marks, requests, alerts, cases, legal actions and subscriptions, so generated requests reach
past the 404s: path parameters, the `school` and `upn` filters and the pupil-naming fields of bodies are
mostly the seeded ones, and each request goes with the token of a role drawn from api.md's eight.

Used by test_fuzz_openapi.py (a bounded, derandomised run for CI) and fuzz_deep.py (a deep run by hand).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from security_routes import LEAVE, LEGAL, REPORT, SUBSCRIPTION, pupil_body, seed_registers
from security_servers import serve
from security_world import (
    ADMIN,
    LA,
    MARKED_ON,
    ROLES,
    URN,
    EventFeed,
    headers_of,
    new_upn,
    pupil_upserted,
    school_upserted,
)
from security_world import UPN as FIRST_UPN

from attendance_common.clock import today_in_london
from attendance_common.events.registers import MarksRecorded, RecordedMark
from attendance_common.messaging import EventConsumer
from attendance_common.testing.databases import TestDatabases

SERVICES = ("registers", "alerts", "casework", "notifications")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
PROBLEM = "application/problem+json"
SECOND_UPN = new_upn()  # a sibling at the same school: a second pupil to read, write and delete
UPNS = [FIRST_UPN, SECOND_UPN]
DAYS = [MARKED_ON + dt.timedelta(days=n) for n in range(5)]  # Monday to Friday
# Operations that remove what others need run last, so the world stays whole for the rest.
LAST = ("/deletion", "/close", "/withdraw", "DELETE ")


def _app(service: str, database_url: str) -> Any:
    main = __import__(f"{service}.main", fromlist=["create_app"])
    settings_class = __import__(f"{service}.settings", fromlist=["Settings"]).Settings
    app_settings = settings_class(
        database_url=database_url,
        kafka_bootstrap_servers="127.0.0.1:9",  # an API never reaches the broker: events go to its outbox
        write_rate_per_second=0,  # the fuzzer writes far faster than any client
        log_level="ERROR",
    )
    return main.create_app(app_settings)


def _consumer(service: str, app: Any) -> EventConsumer:
    handlers: dict[str, Any]
    readers: dict[str, Any] = {}
    if service == "alerts":
        from alerts.handlers import HANDLERS, READERS

        handlers, readers = HANDLERS, READERS
    elif service == "casework":
        from casework.handlers import make_handlers

        handlers = make_handlers(app.state.settings)
    else:
        from notifications.handlers import HANDLERS as MAIN
        from notifications.handlers import MARK_HANDLERS, MARK_READERS

        handlers, readers = {**MAIN, **MARK_HANDLERS}, MARK_READERS
    return EventConsumer(
        name=service,
        topics=[],
        handlers=handlers,
        readers=readers,
        database=app.state.database,
        settings=app.state.settings,
        producer=None,  # type: ignore[arg-type]  # apply() never dead-letters
    )


def _marks(code_of: Any) -> list[dict[str, str]]:
    return [
        {"upn": upn, "date": day.isoformat(), "session": session, "code": code_of(i, upn)}
        for i, (day, session) in enumerate((d, s) for d in DAYS for s in ("AM", "PM"))
        for upn in UPNS
    ]


MARKS = _marks(lambda i, upn: "N" if upn == FIRST_UPN and i < 4 else ("I" if i % 3 == 0 else "/"))


def _ids(answer: httpx.Response, key: str) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [str(row["id"]) for row in answer.json()[key]]


async def _seed_registers(client: httpx.AsyncClient) -> dict[str, list[str]]:
    await seed_registers(client)
    pupil = f"/v1/schools/{URN}/pupils"
    assert (await client.put(f"{pupil}/{SECOND_UPN}", json=pupil_body(), headers=ADMIN)).is_success
    answer = await client.post(f"/v1/schools/{URN}/marks", json={"marks": MARKS}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    parent = headers_of("parent")
    ids: dict[str, list[str]] = {"report_id": [], "request_id": []}
    for upn in UPNS:
        report = await client.post(f"{pupil}/{upn}/absence-reports", json=REPORT, headers=parent)
        leave = await client.post(f"{pupil}/{upn}/leave-requests", json=LEAVE, headers=parent)
        assert report.status_code == 201 and leave.status_code == 201, (report.text, leave.text)
        ids["report_id"].append(report.json()["id"])
        ids["request_id"].append(leave.json()["id"])
    return ids


async def _feed_world(feed: EventFeed) -> None:
    await feed.send(school_upserted())
    for upn in UPNS:
        await feed.send(pupil_upserted(upn))
    recorded = dt.datetime.combine(MARKED_ON, dt.time(9), tzinfo=dt.UTC)
    marks = [RecordedMark(**mark, recorded_at=recorded) for mark in MARKS]  # type: ignore[arg-type]
    await feed.send(MarksRecorded(school_urn=URN, la_code=LA, marks=marks))


async def _seed_casework(client: httpx.AsyncClient) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {"case_id": [], "action_id": []}
    for upn, stage in ((FIRST_UPN, "formalise_support"), (SECOND_UPN, "monitor")):
        body = {"pupils": [{"school_urn": URN, "upn": upn}], "stage": stage, "reason": "fuzz"}
        answer = await client.post("/v1/cases", json=body, headers=ADMIN)
        assert answer.status_code in (200, 201), answer.text  # 200: the family's open case
        if answer.json()["id"] not in ids["case_id"]:
            ids["case_id"].append(answer.json()["id"])
    answer = await client.post(f"/v1/cases/{ids['case_id'][0]}/legal-actions", json=LEGAL, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    ids["action_id"].append(answer.json()["id"])
    return ids


# Lists to take a cursor from (one row a page, as an admin): `after` is then sometimes a real one.
PAGED = {
    "registers": [
        "/v1/audit",
        f"/v1/schools/{URN}/absence-reports",
        f"/v1/schools/{URN}/leave-requests",
        f"/v1/schools/{URN}/attendance/pupils",
        f"/v1/las/{LA}/attendance/pupils",
    ],
    "alerts": ["/v1/audit", "/v1/alerts"],
    "casework": ["/v1/audit", "/v1/cases"],
    "notifications": ["/v1/audit", "/v1/notifications", "/v1/subscriptions"],
}


async def _cursors(service: str, client: httpx.AsyncClient) -> list[str]:
    cursors = []
    for path in PAGED[service]:
        answer = await client.get(path, params={"limit": 1}, headers=ADMIN)
        assert answer.status_code == 200, (path, answer.text)
        if answer.json().get("next"):
            cursors.append(answer.json()["next"])
    return cursors


async def _seed_service(service: str, app: Any, client: httpx.AsyncClient) -> dict[str, list[str]]:
    if service == "registers":
        return await _seed_registers(client)
    await _feed_world(EventFeed(_consumer(service, app)))
    if service == "alerts":
        return {"alert_id": _ids(await client.get("/v1/alerts", headers=ADMIN), "alerts")}
    if service == "casework":
        return await _seed_casework(client)
    answer = await client.post("/v1/subscriptions", json=SUBSCRIPTION, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return {"subscription_id": [answer.json()["id"]]}


async def _seed(service: str, database_url: str) -> dict[str, list[str]]:
    """Migrate and seed one service's database through its own app; the ids of what was made."""
    app = _app(service, database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            ids = await _seed_service(service, app, client)
            return {**ids, "after": await _cursors(service, client)}


_TODAY = today_in_london()
# The ends of what a date can be: arithmetic on them (a month on, the academic year before) overflows.
_EDGES = ["0001-01-01", "0001-08-31", "9999-12-01", "9999-12-31"]
_NEAR_TODAY = [(_TODAY + dt.timedelta(days=n)).isoformat() for n in (-7, -1, 0, 1, 7, 30)] + [
    day.isoformat() for day in DAYS
]
# Values seeded in every service: path and query parameters by name, and body fields by key.
COMMON = {
    "urn": [URN],
    "school": [URN],
    "school_urn": [URN],
    "upn": UPNS,
    "la_code": [LA],
    "date": [day.isoformat() for day in DAYS] + [_TODAY.isoformat(), *_EDGES],
    "session_name": ["AM", "PM"],
    "session": ["AM", "PM"],
    "scope": [f"school:{URN}", f"la:{LA}", "default"],
    "parent_contact_id": ["c1"],
    # Body fields the schema cannot make valid by itself: dates near today, mark codes, a public URL.
    "from": _NEAR_TODAY + _EDGES,
    "to": _NEAR_TODAY + _EDGES,
    **{
        key: _NEAR_TODAY + _EDGES
        for key in ("first_date", "last_date", "expected_return", "issued_on", "due_on", "notice_served_on")
    },
    "start_date": ["2025-09-01", *_EDGES],
    "date_of_birth": ["2015-03-01", *_EDGES],
    "code": ["/", "\\", "L", "N", "I", "M", "G", "O", "U", "C", "D", "#", "-", "H"],
    "url": ["https://la.example/hook", "http://127.0.0.1/hook", "https://[::ffff:10.0.0.1]/hook"],
}


@dataclass
class Served:
    """A served, seeded service: its base URL and the values to put in generated requests."""

    service: str
    base_url: str
    seeds: dict[str, list[str]]


@contextmanager
def served_world(databases: TestDatabases, services: tuple[str, ...] = SERVICES) -> Iterator[list[Served]]:
    """Each service on a fresh seeded database, served by uvicorn, for as long as the block runs."""
    with ExitStack() as stack:
        world = []
        for service in services:
            database_url = databases.create(f"fuzz_{service}")
            ids = asyncio.run(_seed(service, database_url))
            base_url = stack.enter_context(serve(_app(service, database_url)))
            seeds = {name: values for name, values in {**COMMON, **ids}.items() if values}
            world.append(Served(service, base_url, seeds))
        yield world


@dataclass
class Failure:
    role: str
    method: str
    path: str
    status: int
    request: str
    answer: str

    def line(self) -> str:
        return f"{self.status} {self.method} {self.path} as {self.role}: {self.request} -> {self.answer}"


@dataclass
class Outcome:
    service: str
    operations: int = 0
    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    by_code: Counter[str] = field(default_factory=Counter)  # "422 bad_upn": how often
    samples: dict[str, Failure] = field(default_factory=dict)  # the first request answered with each
    server_errors: list[Failure] = field(default_factory=list)
    not_problems: list[Failure] = field(default_factory=list)

    @property
    def deep(self) -> int:
        """Requests answered with something other than 401/403/404/422: past auth, lookup and validation."""
        shallow = {401, 403, 404, 422}
        return sum(n for status, n in self.by_status.items() if status not in shallow)


def _content_type(response: Any) -> str:
    for name, values in response.headers.items():
        if name.lower() == "content-type":
            return values[0] if isinstance(values, list) else str(values)
    return ""


def _code(response: Any) -> Any:
    try:
        return response.json().get("code")
    except ValueError:
        return None


def _seeded(draw: Any, value: Any, seeds: dict[str, list[str]]) -> Any:
    """`value` (a body) with most of the fields that `seeds` names set to a seeded value."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in seeds and draw(st.integers(0, 4)) < 4:
                out[key] = draw(st.sampled_from(seeds[key]))
            else:
                out[key] = _seeded(draw, item, seeds)
        return out
    if isinstance(value, list):
        return [_seeded(draw, item, seeds) for item in value]
    return value


def _summary(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _order(operations: list[Any]) -> list[Any]:
    def last(operation: Any) -> bool:
        label = f"{operation.method.upper()} {operation.path}"
        return any(marker in label for marker in LAST)

    return sorted(operations, key=last)  # stable: the document's order otherwise


def fuzz(
    target: Served,
    examples: int | None = None,
    *,
    budget: int | None = None,
    derandomize: bool = True,
    roles: tuple[str, ...] = ROLES,
) -> Outcome:
    """About `examples` generated requests per operation and generation mode against one service, or
    `budget` requests in all split over them."""
    schema = schemathesis.openapi.from_url(f"{target.base_url}/openapi.json")
    # The token is ours (a role's, valid): generated or removed Authorization headers would only test the
    # token check, which test_authorisation_matrix does, and keep invalid requests from getting past it.
    # NUL characters are refused before any route (limits.BodyLimit, test_fuzz_findings): without them, more
    # generated requests get to the routes.
    schema.config.generation.update(with_security_parameters=False, allow_x00=False)
    operations = _order([result.ok() for result in schema.get_all_operations()])
    outcome = Outcome(target.service, operations=len(operations))
    if examples is None:
        assert budget is not None, "examples or budget"
        examples = max(1, -(-budget // (len(operations) * len(MODES))))  # rounded up
    session = requests.Session()
    seeds = target.seeds

    def check(case: Any, data: Any) -> None:
        for where in (case.path_parameters, case.query):
            for name in list(where or {}):
                if (
                    name in seeds and data.draw(st.integers(0, 9)) < 8
                ):  # mostly seeded (and first), not always
                    where[name] = data.draw(st.sampled_from(seeds[name]))
        if isinstance(case.body, dict | list):
            case.body = _seeded(data.draw, case.body, seeds)
        role = data.draw(st.sampled_from(roles))
        try:
            response = case.call(
                base_url=target.base_url, session=session, headers=headers_of(role), timeout=60
            )
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
            return  # not sendable over HTTP at all (e.g. a header with a newline)
        outcome.requests += 1
        status = response.status_code
        outcome.by_status[status] = outcome.by_status.get(status, 0) + 1
        if status < 400:
            return
        sent = f"query={_summary(case.query)}"
        if not isinstance(case.body, NotSet):
            sent += f" body={_summary(case.body)}"
        failure = Failure(role, case.method, case.formatted_path, status, sent, response.text[:300])
        outcome.by_code[f"{status} {_code(response)}"] += 1
        outcome.samples.setdefault(f"{status} {_code(response)}", failure)
        if status >= 500:
            outcome.server_errors.append(failure)
        elif not _content_type(response).startswith(PROBLEM) or not isinstance(_code(response), str):
            outcome.not_problems.append(failure)

    for operation in operations:
        for mode in MODES:
            run = given(case=operation.as_strategy(generation_mode=mode), data=st.data())(check)
            run = settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=derandomize,
                suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet,  # an Unsatisfiable negative mode is expected, not news
            )(run)
            try:
                run()
            except Unsatisfiable:
                continue  # nothing to make invalid (e.g. GET /healthz has no parameters)
    return outcome
