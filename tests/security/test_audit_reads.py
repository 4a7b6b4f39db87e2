"""The audit log answers "who saw pupil X": every pupil an answer names is recorded, list reads included,
and an answer whose entries cannot be written is withheld (503), never sent unrecorded."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from security_routes import EXPECTED, PUPIL, RECIPES, expected
from security_world import ADMIN, LA, MARKED_ON, ROLES, UPN, URN, headers_of, new_upn, pupil_upserted
from sqlalchemy import event, func, select, text

from attendance_common.audit import AuditEntry
from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.events.alerts import AlertRaised
from attendance_common.events.registers import MarksRecorded, RecordedMark
from attendance_common.pagination import encode_cursor

pytestmark = pytest.mark.integration

ANSWERED = [
    (service, route, role)
    for service, routes in EXPECTED.items()
    for route in routes
    for role in ROLES
    if expected(service, route, role) == "ok"
]


async def audit(stack, service: str, **params: Any) -> list[dict]:
    answer = await stack.clients[service].get("/v1/audit", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["entries"]


async def last_entry_id(stack, service: str) -> int:
    async with stack.apps[service].state.database.transaction() as session:
        return int(await session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))))


def pupils_named(body: Any) -> Iterator[tuple[str | None, str]]:
    """Every (school_urn, upn) an answer names, however deeply."""
    if isinstance(body, dict):
        if isinstance(body.get("upn"), str):
            yield body.get("school_urn"), body["upn"]
        for value in body.values():
            yield from pupils_named(value)
    elif isinstance(body, list):
        for value in body:
            yield from pupils_named(value)


UPN_IN_TEXT = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")


def answer_names(answer) -> set[tuple[str | None, str]]:
    """The pupils a JSON answer names by its fields, or a page or CSV file names anywhere in its text."""
    if not answer.content:
        return set()
    if "json" in answer.headers.get("content-type", ""):
        return set(pupils_named(answer.json()))
    return {(None, upn) for upn in UPN_IN_TEXT.findall(answer.text)}


def family_token(role: str, email: str) -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=f"{role}-{email}", role=role, email=email)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("service", "route", "role"), ANSWERED, ids=[" ".join(case) for case in ANSWERED])
async def test_every_pupil_an_answer_names_is_in_its_audit_entries(stack, service, route, role):
    method, path, body = await RECIPES[service][route](stack)
    before = await last_entry_id(stack, service)
    answer = await stack.clients[service].request(method, path, json=body, headers=headers_of(role))
    assert answer.is_success, answer.text
    named = answer_names(answer)

    entries = await audit(stack, service, after=encode_cursor(before), limit=1000)

    recorded = {(e["school_urn"], e["upn"]) for e in entries if e["sub"] == f"{role}-matrix"}
    for school, upn in named:
        assert upn in {u for _, u in recorded}, f"{upn} is not in the audit entries of {method} {path}"
        if school is not None:
            assert (school, upn) in recorded


async def test_an_alerts_list_records_each_pupil_it_shows_and_the_log_answers_who_saw_them(stack):
    other = new_upn()
    await stack.feeds["alerts"].send(
        pupil_upserted(other, parent_email=f"{uuid.uuid4().hex[:8]}@example.com")
    )
    at = dt.datetime.combine(MARKED_ON, dt.time(9), tzinfo=dt.UTC)
    mark = RecordedMark(upn=other, date=MARKED_ON, session="AM", code="N", recorded_at=at)
    await stack.feeds["alerts"].send(MarksRecorded(school_urn=URN, la_code=LA, marks=[mark]))
    listed = await stack.clients["alerts"].get("/v1/alerts", headers=headers_of("school_staff"))
    assert {UPN, other} <= {a["upn"] for a in listed.json()["alerts"]}

    for upn in (UPN, other):
        seen = await audit(stack, "alerts", upn=upn, school=URN, sub="school_staff-matrix")
        assert seen[-1]["resource"] == "/v1/alerts"
        assert (seen[-1]["action"], seen[-1]["status"]) == ("read", 200)


async def test_a_case_list_records_every_pupil_of_each_family_it_shows(stack):
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    first, sibling = new_upn(), new_upn()
    for upn in (first, sibling):
        await stack.feeds["casework"].send(pupil_upserted(upn, parent_email=email))
    body = {"pupils": [{"school_urn": URN, "upn": first}], "stage": "monitor", "reason": "audit"}
    assert (await stack.clients["casework"].post("/v1/cases", json=body, headers=ADMIN)).is_success

    listed = await stack.clients["casework"].get(
        "/v1/cases", params={"upn": first}, headers=headers_of("la_officer")
    )
    assert {p["upn"] for p in listed.json()["cases"][0]["pupils"]} == {first, sibling}

    seen = await audit(stack, "casework", upn=sibling, school=URN, sub="la_officer-matrix")
    assert [e["resource"] for e in seen] == ["/v1/cases"]


async def test_a_parents_list_of_children_records_each_child(stack):
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    children = [new_upn(), new_upn()]
    for upn in children:
        await stack.feeds["notifications"].send(pupil_upserted(upn, parent_email=email))

    listed = await stack.clients["notifications"].get(
        "/v1/parent/children", headers=family_token("parent", email)
    )
    assert {c["upn"] for c in listed.json()["children"]} == set(children)

    for upn in children:
        seen = await audit(stack, "notifications", upn=upn, school=URN)
        assert [(e["sub"], e["resource"]) for e in seen] == [(f"parent-{email}", "/v1/parent/children")]


async def test_the_notification_log_and_a_parents_feed_record_each_pupil_they_show(stack):
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    children = [new_upn(), new_upn()]
    feed = stack.feeds["notifications"]
    for upn in children:
        await feed.send(pupil_upserted(upn, parent_email=email))
        raised_at = dt.datetime.combine(MARKED_ON, dt.time(10), tzinfo=dt.UTC)
        await feed.send(
            AlertRaised(
                alert_id=str(uuid.uuid4()),
                type="first_day_absence",
                school_urn=URN,
                la_code=LA,
                upn=upn,
                date=MARKED_ON,
                raised_at=raised_at,
                rule_version="audit",
            ),
            source="alerts",
        )
    client = stack.clients["notifications"]
    log = await client.get("/v1/notifications", params={"school": URN}, headers=headers_of("school_staff"))
    feed_answer = await client.get("/v1/parent/messages", headers=family_token("parent", email))
    assert set(children) <= {n["upn"] for n in log.json()["notifications"]}
    assert {m["upn"] for m in feed_answer.json()["messages"]} == set(children)

    for upn in children:
        seen = {(e["sub"], e["resource"]) for e in await audit(stack, "notifications", upn=upn, school=URN)}
        assert seen == {
            ("school_staff-matrix", "/v1/notifications"),
            (f"parent-{email}", "/v1/parent/messages"),
        }


async def test_a_pupil_read_under_any_spelling_of_the_upn_is_found_by_the_upn(stack):
    spelled = PUPIL.replace(UPN, UPN.lower())
    answer = await stack.clients["registers"].get(f"{spelled}/marks", headers=headers_of("la_officer"))
    assert answer.status_code == 200, answer.text

    seen = await audit(stack, "registers", upn=UPN.lower(), sub="la_officer-matrix")

    assert seen and (seen[-1]["upn"], seen[-1]["resource"]) == (UPN, "/v1/schools/{urn}/pupils/{upn}/marks")


async def test_the_entries_of_an_answer_naming_many_pupils_are_written_in_one_statement(stack):
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    for upn in (new_upn(), new_upn(), new_upn()):
        await stack.feeds["notifications"].send(pupil_upserted(upn, parent_email=email))
    inserts: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            inserts.append(statement)

    engine = stack.apps["notifications"].state.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = await stack.clients["notifications"].get(
            "/v1/parent/children", headers=family_token("parent", email)
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(answer.json()["children"]) == 3
    assert len(inserts) == 1
    assert len(await audit(stack, "notifications", sub=f"parent-{email}")) == 3


_REFUSE = {
    "postgresql": (
        "CREATE FUNCTION audit_refused() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit log unwritable'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_refused()",
    ),
    "sqlite": (
        "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit log unwritable'); END",
    ),
}
_ALLOW = {
    "postgresql": ("DROP TRIGGER audit_refused ON audit_log", "DROP FUNCTION audit_refused()"),
    "sqlite": ("DROP TRIGGER audit_refused",),
}


@asynccontextmanager
async def audit_log_unwritable(stack, service: str) -> AsyncIterator[None]:
    """A trigger that refuses every insert into the service's audit table, dropped afterwards."""
    database = stack.apps[service].state.database
    dialect = database.engine.dialect.name
    async with database.transaction() as session:
        for statement in _REFUSE[dialect]:
            await session.execute(text(statement))
    try:
        yield
    finally:
        async with database.transaction() as session:
            for statement in _ALLOW[dialect]:
                await session.execute(text(statement))


READS = [
    ("registers", f"{PUPIL}", "school_staff"),
    ("alerts", "/v1/alerts", "school_staff"),
    ("casework", "/v1/cases", "la_officer"),
    ("notifications", "/v1/parent/children", "parent"),
]


@pytest.mark.parametrize(("service", "path", "role"), READS, ids=[r[0] for r in READS])
async def test_a_read_whose_audit_entry_cannot_be_written_is_a_503_without_the_data(
    stack, service, path, role
):
    client = stack.clients[service]
    assert UPN in (await client.get(path, headers=headers_of(role))).text

    async with audit_log_unwritable(stack, service):
        answer = await client.get(path, headers=headers_of(role))

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"]
    problem = answer.json()
    assert problem["code"] == "audit_unavailable"
    # Only the problem (its `instance` is the path the caller sent): no record, no names, no contacts.
    assert set(problem) == {"type", "title", "status", "detail", "instance", "code"}
    assert "Lovelace" not in answer.text and "@" not in answer.text
    assert (await client.get(path, headers=headers_of(role))).status_code == 200
