"""Projections from `attendance.pupils` and `attendance.marks`: schools, pupils, contacts, marks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import any_of, upsert_rows
from attendance_common.events.registers import Contact as ContactData
from attendance_common.events.registers import PupilDeleted, PupilUpserted, RecordedMark
from notifications.models import Contact, Mark, Pupil, School


async def ensure_school(
    session: AsyncSession, urn: str, la_code: str | None, name: str | None = None
) -> None:
    replace = tuple(column for column, value in (("la_code", la_code), ("name", name)) if value)
    row = {"urn": urn, "la_code": la_code, "name": name}
    await upsert_rows(session, School, [row], key=("urn",), replace=replace)


async def pupil_ids(
    session: AsyncSession, school_urn: str, la_code: str | None, upns: Sequence[str]
) -> dict[str, int]:
    """upn -> pupil id at this school, creating bare rows for pupils not seen yet."""
    stubs = [{"school_urn": school_urn, "upn": upn, "la_code": la_code} for upn in upns]
    await upsert_rows(session, Pupil, stubs, key=("school_urn", "upn"))
    dialect = (await session.connection()).dialect.name
    rows = await session.execute(
        select(Pupil.upn, Pupil.id).where(Pupil.school_urn == school_urn, any_of(Pupil.upn, upns, dialect))
    )
    return {upn: pupil_id for upn, pupil_id in rows}


async def get_pupil(session: AsyncSession, school_urn: str, upn: str) -> Pupil | None:
    return await session.scalar(select(Pupil).where(Pupil.school_urn == school_urn, Pupil.upn == upn))


async def upsert_pupil(session: AsyncSession, data: PupilUpserted) -> Pupil:
    """Keep the pupil's names, year, social worker and contacts as registers last sent them."""
    await ensure_school(session, data.school_urn, data.la_code)
    pupil_id = (await pupil_ids(session, data.school_urn, data.la_code, [data.upn]))[data.upn]
    pupil = await session.get(Pupil, pupil_id, populate_existing=True)
    assert pupil is not None
    pupil.la_code, pupil.given_name, pupil.family_name = data.la_code, data.given_name, data.family_name
    pupil.year_group, pupil.start_date, pupil.deleted_on = data.year_group, data.start_date, None
    worker = data.social_worker
    pupil.social_worker_name = worker.name if worker else None
    pupil.social_worker_email = worker.email.strip().lower() if worker and worker.email else None
    await replace_contacts(session, pupil.id, data.contacts)
    return pupil


async def replace_contacts(session: AsyncSession, pupil_id: int, contacts: Sequence[ContactData]) -> None:
    await session.execute(delete(Contact).where(Contact.pupil_id == pupil_id))
    seen: set[str] = set()
    for contact in contacts:
        if contact.contact_id in seen:
            continue
        seen.add(contact.contact_id)
        session.add(
            Contact(
                pupil_id=pupil_id,
                contact_id=contact.contact_id,
                name=contact.name,
                relationship=contact.relationship,
                parental_responsibility=contact.parental_responsibility,
                email=contact.email.strip().lower() if contact.email else None,
                phone=contact.phone,
                priority=contact.priority,
            )
        )
    await session.flush()


async def mark_deleted(session: AsyncSession, data: PupilDeleted) -> None:
    pupil_id = (await pupil_ids(session, data.school_urn, data.la_code, [data.upn]))[data.upn]
    pupil = await session.get(Pupil, pupil_id, populate_existing=True)
    assert pupil is not None
    pupil.deleted_on = data.date


async def apply_marks(
    session: AsyncSession, school_urn: str, la_code: str | None, marks: Sequence[RecordedMark]
) -> None:
    """Each session's current code: a later event for the same session replaces the code."""
    ids = await pupil_ids(session, school_urn, la_code, sorted({m.upn for m in marks}))
    latest = {(ids[m.upn], m.date, m.session): m.code for m in marks}
    rows = [{"pupil_id": p, "date": d, "session": s, "code": c} for (p, d, s), c in latest.items()]
    await upsert_rows(session, Mark, rows, key=("pupil_id", "date", "session"), replace=("code",))


async def parent_contacts(session: AsyncSession, pupil_id: int) -> list[Contact]:
    """Contacts with parental responsibility, in priority order (others get nothing)."""
    rows = await session.scalars(
        select(Contact)
        .where(Contact.pupil_id == pupil_id, Contact.parental_responsibility.is_(True))
        .order_by(Contact.priority, Contact.contact_id)
    )
    return list(rows)


async def school_name(session: AsyncSession, urn: str) -> str | None:
    return await session.scalar(select(School.name).where(School.urn == urn))
