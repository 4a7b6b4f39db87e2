"""Bulk upserts and reads: what goes in comes back exactly, whatever the strings hold."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import BigInteger, Date, Integer, MetaData, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendance_common.bulk import select_where_in, upsert_rows
from attendance_common.db import Database
from attendance_common.testing.databases import TestDatabases

pytestmark = pytest.mark.integration


class Base(DeclarativeBase):
    metadata = MetaData()


class Tally(Base):
    __tablename__ = "tallies"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    label: Mapped[str | None] = mapped_column(String(100))
    day: Mapped[dt.date | None] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)


AWKWARD = ["plain", 'a "quoted" one', "back\\slash", "comma, {brace}", "NULL", "", " spaced ", "ünïcode"]


@pytest.fixture(params=["postgresql", "sqlite"])
async def tallies(test_databases: TestDatabases, request: pytest.FixtureRequest):
    database = Database(test_databases.create("bulk", backend=request.param))
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


async def test_upsert_rows_keeps_every_string_date_and_null_and_adds_on_conflict(tallies):
    rows = [
        {"id": i, "label": label, "day": dt.date(2026, 11, 16) + dt.timedelta(i), "count": i}
        for i, label in enumerate(AWKWARD)
    ]
    rows.append({"id": 100, "label": None, "day": None, "count": 1})
    async with tallies.transaction() as session:
        await upsert_rows(session, Tally, rows, key=("id",))
        await upsert_rows(
            session, Tally, [{"id": 3, "label": "x", "day": None, "count": 5}], key=("id",), add=("count",)
        )
    async with tallies.transaction() as session:
        stored = {t.id: (t.label, t.day, t.count) for t in await session.scalars(select(Tally))}
    expected = {r["id"]: (r["label"], r["day"], r["count"]) for r in rows}
    expected[3] = (AWKWARD[3], expected[3][1], 3 + 5)  # added, the rest untouched
    assert stored == expected


async def test_select_where_in_finds_rows_by_awkward_strings(tallies):
    async with tallies.transaction() as session:
        await upsert_rows(
            session,
            Tally,
            [{"id": i, "label": v, "day": None, "count": 0} for i, v in enumerate(AWKWARD)],
            key=("id",),
        )
    async with tallies.transaction() as session:
        found = await select_where_in(
            session, (Tally.id, Tally.label), Tally.label, [*AWKWARD[1:4], "absent"]
        )
        by_id = await select_where_in(session, (Tally.id,), Tally.id, [0, 7, 999])
    assert sorted((r["id"], r["label"]) for r in found) == [(i, AWKWARD[i]) for i in (1, 2, 3)]
    assert sorted(r["id"] for r in by_id) == [0, 7]


async def test_upsert_rows_returns_only_the_rows_it_inserted_when_conflicts_are_left_alone(tallies):
    first = [{"id": i, "label": f"t{i}", "day": None, "count": 0} for i in (1, 2)]
    again = [{"id": i, "label": "other", "day": None, "count": 0} for i in (2, 3)]
    async with tallies.transaction() as session:
        assert sorted(await upsert_rows(session, Tally, first, key=("id",), returning="id")) == [1, 2]
        assert await upsert_rows(session, Tally, again, key=("id",), returning="id") == [3]
        assert await upsert_rows(session, Tally, [], key=("id",), returning="id") == []
    async with tallies.transaction() as session:
        assert await session.scalar(select(Tally.label).where(Tally.id == 2)) == "t2"


async def test_upsert_rows_returns_the_columns_asked_for_as_stored_after_adding(tallies):
    rows = [{"id": i, "label": f"t{i}", "day": None, "count": i} for i in (1, 2)]
    more = [{"id": i, "label": "x", "day": None, "count": 10} for i in (2, 3)]
    async with tallies.transaction() as session:
        await upsert_rows(session, Tally, rows, key=("id",))
        found = await upsert_rows(
            session, Tally, more, key=("id",), add=("count",), returning=("id", "count")
        )
    assert sorted(found) == [(2, 12), (3, 10)]
