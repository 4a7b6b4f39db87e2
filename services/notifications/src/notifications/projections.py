"""Projections from `attendance.pupils` and `attendance.marks`: schools, pupils, contacts, marks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import driver_connection, upsert_columns, upsert_rows
from attendance_common.events.registers import Contact as ContactData
from attendance_common.events.registers import MarksFacts, PupilDeleted, PupilUpserted, SchoolUpserted
from notifications.models import Contact, Mark, Pupil, School


async def ensure_school(
    session: AsyncSession, urn: str, la_code: str | None, name: str | None = None
) -> None:
    # Each pupil event ensures its school: within one transaction (a consumed batch) a repeat that
    # would write what this transaction already wrote is skipped.
    written: dict[str, str] = session.info.setdefault("notify_school_la", {})
    if name is None and la_code is not None and written.get(urn) == la_code:
        return
    replace = tuple(column for column, value in (("la_code", la_code), ("name", name)) if value)
    row = {"urn": urn, "la_code": la_code, "name": name}
    await upsert_rows(session, School, [row], key=("urn",), replace=replace)
    if la_code:
        written[urn] = la_code


async def put_school(session: AsyncSession, data: SchoolUpserted) -> None:
    """The school as registers last described it: name, LA and trust (None: in no trust)."""
    row = {
        "urn": data.urn,
        "la_code": data.la_code,
        "name": data.name,
        "trust_id": data.trust.id if data.trust else None,
    }
    await upsert_rows(session, School, [row], key=("urn",), replace=("la_code", "name", "trust_id"))
    session.info.setdefault("notify_school_la", {})[data.urn] = data.la_code


async def pupil_ids(
    session: AsyncSession, school_urn: str, la_code: str | None, upns: Sequence[str]
) -> dict[str, int]:
    """upn -> pupil id at this school, creating bare rows for pupils not seen yet."""
    found = await _ids_at(session, school_urn, upns)
    missing = [upn for upn in upns if upn not in found]
    if missing:  # a register names pupils notifications has seen: stubs are the exception
        stubs = [{"school_urn": school_urn, "upn": upn, "la_code": la_code} for upn in missing]
        await upsert_rows(session, Pupil, stubs, key=("school_urn", "upn"))
        found |= await _ids_at(session, school_urn, missing)
    return found


async def _ids_at(session: AsyncSession, school_urn: str, upns: Sequence[str]) -> dict[str, int]:
    pg = await driver_connection(session)
    if pg is not None:  # straight to asyncpg: a register asks for a thousand pupils
        rows = await pg.fetch(
            "SELECT upn, id FROM pupils WHERE school_urn = $1 AND upn = ANY($2::varchar[])",
            school_urn,
            list(upns),
        )
        return {row[0]: row[1] for row in rows}
    found = await session.execute(
        select(Pupil.upn, Pupil.id).where(Pupil.school_urn == school_urn, Pupil.upn.in_(list(upns)))
    )
    return {upn: pupil_id for upn, pupil_id in found}


async def upsert_pupil(session: AsyncSession, data: PupilUpserted) -> int:
    """Keep the pupil's names, year, social worker and contacts as registers last sent them."""
    await ensure_school(session, data.school_urn, data.la_code)
    worker = data.social_worker
    row = {
        "school_urn": data.school_urn,
        "upn": data.upn,
        "la_code": data.la_code,
        "given_name": data.given_name,
        "family_name": data.family_name,
        "year_group": data.year_group,
        "start_date": data.start_date,
        "deleted_on": None,
        "social_worker_name": worker.name if worker else None,
        "social_worker_email": worker.email.strip().lower() if worker and worker.email else None,
    }
    pupil_id = await _upsert_pupil_row(session, row)
    await replace_contacts(session, pupil_id, data.contacts)
    return pupil_id


async def _upsert_pupil_row(session: AsyncSession, row: dict[str, Any]) -> int:
    """Insert or overwrite the pupil (one statement), answering its id."""
    pg = await driver_connection(session)
    if pg is not None:  # straight to asyncpg: SQLAlchemy compiling an upsert costs more than running it
        names = list(row)
        places = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        sets = ", ".join(f"{c} = excluded.{c}" for c in names if c not in ("school_urn", "upn"))
        return int(
            await pg.fetchval(
                f"INSERT INTO pupils ({', '.join(names)}) VALUES ({places}) "
                f"ON CONFLICT (school_urn, upn) DO UPDATE SET {sets} RETURNING id",
                *row.values(),
            )
        )
    dialect = (await session.connection()).dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(Pupil).values(row)
    changed = {c: statement.excluded[c] for c in row if c not in ("school_urn", "upn")}
    statement = statement.on_conflict_do_update(index_elements=["school_urn", "upn"], set_=changed)
    return int((await session.execute(statement.returning(Pupil.id))).scalar_one())


async def replace_contacts(session: AsyncSession, pupil_id: int, contacts: Sequence[ContactData]) -> None:
    await session.execute(delete(Contact).where(Contact.pupil_id == pupil_id))
    rows: dict[str, dict[str, Any]] = {}
    for contact in contacts:
        if contact.contact_id in rows:
            continue
        rows[contact.contact_id] = {
            "pupil_id": pupil_id,
            "contact_id": contact.contact_id,
            "name": contact.name,
            "relationship": contact.relationship,
            "parental_responsibility": contact.parental_responsibility,
            "email": contact.email.strip().lower() if contact.email else None,
            "phone": contact.phone,
            "priority": contact.priority,
        }
    await upsert_rows(session, Contact, list(rows.values()), key=("pupil_id", "contact_id"))


async def mark_deleted(session: AsyncSession, data: PupilDeleted) -> None:
    row = {"school_urn": data.school_urn, "upn": data.upn, "la_code": data.la_code, "deleted_on": data.date}
    await upsert_rows(session, Pupil, [row], key=("school_urn", "upn"), replace=("deleted_on",))


async def apply_marks(session: AsyncSession, data: MarksFacts) -> None:
    """Each session's current code: a later event for the same session replaces the code."""
    marks = data["marks"]
    ids = await pupil_ids(session, data["school_urn"], data["la_code"], sorted({m["upn"] for m in marks}))
    latest = {(ids[m["upn"]], m["date"], m["session"]): m["code"] for m in marks}
    columns: dict[str, list[Any]] = {"pupil_id": [], "date": [], "session": [], "code": []}
    for (pupil_id, day, session_name), code in latest.items():
        columns["pupil_id"].append(pupil_id)
        columns["date"].append(day)
        columns["session"].append(session_name)
        columns["code"].append(code)
    await upsert_columns(session, Mark, columns, key=("pupil_id", "date", "session"), replace=("code",))
