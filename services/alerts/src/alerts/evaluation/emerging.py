"""Judging emerging absence after a batch (api.md Part 2): the pupils whose recent counts changed,
those whose persistent absence alert opened or cleared, and, when the school's window is rebuilt,
every pupil of the school. Nobody else's recent rate or persistent absence changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts import rules
from alerts.evaluation import recent
from alerts.evaluation.evidence import ABSENCE_CODES, EvidenceFn, evidence_marks
from alerts.evaluation.pupil_state import pupil_days
from alerts.evaluation.upserts import latest_school_day
from alerts.models import SchoolDay
from attendance_common.codes import Counts

if TYPE_CHECKING:
    from alerts.evaluation.evaluate import Evaluation

KIND = "emerging_absence"


def persistent_open(evaluation: Evaluation, pupil_ids: Set[int]) -> set[int]:
    """The pupils among these whose persistent absence alert is open."""
    return {p for p in pupil_ids if (p, "persistent_absence", "-") in evaluation.open}


async def judge(evaluation: Evaluation, persistent_before: set[int]) -> None:
    """Raise or clear emerging absence for every pupil whose facts for it may have changed."""
    changes, t, session = evaluation.changes, evaluation.t, evaluation.session
    batch = {pid: change.upn for pid, change in changes.pupils.items()}
    state = changes.recent
    if state.window.days != t.emerging_days:  # another length set in /v1/rules, or never built
        state = await recent.rebuild(session, changes.school_urn, t.emerging_days)
        counts, upns = state.counts, {**state.upns, **batch}
    else:
        counts, upns = dict(state.counts), {**state.upns, **batch}
        flipped = persistent_open(evaluation, batch.keys()) ^ persistent_before
        counts |= await recent.read_counts(session, flipped - counts.keys())
    await evaluation.load_open(counts)
    for pid, c in counts.items():
        is_open = (pid, KIND, "-") in evaluation.open
        pa_open = (pid, "persistent_absence", "-") in evaluation.open
        holds = rules.emerging_absence_holds(c, is_open=is_open, persistent_open=pa_open, t=t)
        if holds == is_open:
            continue  # most pupils, most mornings
        reason = "persistent absence opened" if pa_open else "recent rate below the clear level"
        evidence = _evidence(session, changes.school_urn, pid, c, state.window)
        await evaluation.sync(pid, upns[pid], KIND, holds, evidence, reason=reason)


def _evidence(
    session: AsyncSession, school_urn: str, pupil_id: int, counts: Counts, window: recent.Window
) -> EvidenceFn:
    """The rate over the window with its numerator and denominator, the window's first and last
    school days and how many it holds, and the pupil's absence marks in it."""

    async def load() -> dict[str, Any]:
        end = await latest_school_day(session, school_urn) or dt.date.today()
        start = window.start or end
        held = await session.scalar(
            select(func.count()).where(SchoolDay.school_urn == school_urn, SchoolDay.date >= start)
        )
        days = await pupil_days(session, pupil_id, start, end)
        figures = rules.rate_figures(counts, start, end)
        figures["window"]["school_days"] = held
        return {"figures": figures, "marks": evidence_marks(days, ABSENCE_CODES)}

    return load
