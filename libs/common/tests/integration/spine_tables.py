"""A stand-in service for the spine tests: one table of effects, written by a handler."""

from __future__ import annotations

from sqlalchemy import Integer, String, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendance_common.db import new_metadata
from attendance_common.messaging import Received


class Base(DeclarativeBase):
    metadata = new_metadata()


class Effect(Base):
    """One row per application of an event: a double application shows as two rows."""

    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), index=True)
    urn: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(100))


class PoisonError(Exception):
    pass


async def apply_school(session: AsyncSession, received: Received) -> None:
    """Record an effect; a school named POISON always fails (a poison event)."""
    if received.data.name == "POISON":  # type: ignore[attr-defined]
        raise PoisonError(f"cannot apply {received.event.id}")
    await session.execute(
        insert(Effect).values(
            event_id=received.event.id,
            urn=received.data.urn,  # type: ignore[attr-defined]
            name=received.data.name,  # type: ignore[attr-defined]
        )
    )


async def effects_for(session: AsyncSession, urns: list[str]) -> dict[str, list[str]]:
    """For each URN, the names applied, in order of application."""
    rows = await session.execute(
        select(Effect.urn, Effect.name).where(Effect.urn.in_(urns)).order_by(Effect.id)
    )
    applied: dict[str, list[str]] = {}
    for urn, name in rows.all():
        applied.setdefault(urn, []).append(name)
    return applied
