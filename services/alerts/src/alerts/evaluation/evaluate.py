"""Evaluating the rules after a batch: raise what now holds, clear what no longer does.

Everything a batch needs is loaded in a constant number of queries (a batch is one school's
marks): pupils' flags, open alerts, year counts, and, for the few pupils with new unauthorised
days, the school days and marks around those days. A pupil with an amendment has runs and
windows recomputed around the amended days and the alerts already open; nobody else's cost
depends on their history.
"""

from __future__ import annotations

import bisect
import datetime as dt
import uuid
from collections.abc import Iterable
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts import rules
from alerts.evaluation import emerging
from alerts.evaluation.evidence import (
    ABSENCE_CODES,
    EvidenceFn,
    date_key,
    evidence_dates,
    evidence_marks,
    evidence_year,
    illness_figures,
    n_changed,
    run_evidence,
    static,
    window_evidence,
    year_evidence,
)
from alerts.evaluation.neighbourhood import (
    best_window_containing,
    neighbours,
    pupils_days,
    week_counts,
    weeks_counts,
)
from alerts.evaluation.open_alerts import Ledger, OpenAlert
from alerts.evaluation.pupil_state import (
    BatchChanges,
    PupilChanges,
    apply_marks,
    pupil_days,
    put_pupil,
)
from alerts.evaluation.upserts import YEAR_COLUMNS, YearCounts
from alerts.models import Alert, Mark, Pupil, RuleScope, SchoolDay, YearCount
from alerts.rules import Thresholds
from attendance_common.bulk import any_of, select_where_in
from attendance_common.clock import now_utc
from attendance_common.codes import (
    UNAUTHORISED_FOR_PENALTY,
    Counts,
    academic_year_end,
    academic_year_start,
)
from attendance_common.events.registers import MarksFacts, PupilUpserted
from attendance_common.scopes import stored_settings


async def load_thresholds(session: AsyncSession, school_urn: str, la_code: str | None) -> Thresholds:
    """The thresholds in force at the school: the stored scopes resolved over the defaults."""
    return rules.resolve(await stored_settings(session, RuleScope), school_urn, la_code)


async def marks_changed(session: AsyncSession, data: MarksFacts) -> None:
    """New or amended marks of one school: update each pupil's state, then the alerts."""
    urn, la_code = data["school_urn"], data["la_code"]
    changes = await apply_marks(session, school_urn=urn, la_code=la_code, marks=data["marks"])
    thresholds = await load_thresholds(session, urn, la_code)
    await Evaluation(session, changes, thresholds, now_utc()).run()


async def pupil_changed(session: AsyncSession, data: PupilUpserted) -> None:
    """Keep the pupil's social-worker flag; when it changes, re-check this year's N/O dates."""
    pupil, changed = await put_pupil(session, data)
    if changed:
        await recheck_social_worker_alerts(session, pupil, data.school_urn, data.la_code)


async def recheck_social_worker_alerts(
    session: AsyncSession, pupil: Pupil, school_urn: str, la_code: str | None
) -> None:
    """The flag changed: this year's N/O dates may now raise, and any open social-worker alert,
    of whatever year, may clear."""
    open_dates = set(
        await session.scalars(
            select(Alert.date).where(
                Alert.pupil_id == pupil.id,
                Alert.type == "social_worker_unexplained_absence",
                Alert.status == "open",
            )
        )
    )
    latest = await session.scalar(
        select(Mark.date).where(Mark.pupil_id == pupil.id).order_by(Mark.date.desc()).limit(1)
    )
    if latest is None:
        return
    days = await pupil_days(session, pupil.id, academic_year_start(latest), academic_year_end(latest))
    wanted = {d: day for d, day in days.items() if {"N", "O"} & set(day)}
    for date in open_dates - wanted.keys():
        if date is not None:
            wanted.update(await pupil_days(session, pupil.id, date, date))
    change = PupilChanges(pupil.id, pupil.upn, {d: (day, day) for d, day in wanted.items()})
    evaluation = Evaluation(
        session,
        BatchChanges(school_urn, la_code, {pupil.id: change}, []),
        await load_thresholds(session, school_urn, la_code),
        now_utc(),
    )
    await evaluation.load_open([pupil.id])
    await evaluation.per_date(change, pupil.has_social_worker)
    await evaluation.ledger.write()


class Evaluation:
    """One batch's evaluation: the loaded facts and the open alerts it may raise or clear."""

    def __init__(
        self, session: AsyncSession, changes: BatchChanges, thresholds: Thresholds, now: dt.datetime
    ):
        self.session, self.changes, self.t, self.now = session, changes, thresholds, now
        self.dialect = session.get_bind().dialect.name
        dates = frozenset(date for change in changes.pupils.values() for date in change.days)
        self.ledger = Ledger(session, now, dates)
        self.open = self.ledger.open

    async def run(self) -> None:
        pupils = self.changes.pupils
        persistent_before: set[int] = set()
        if pupils:
            await self.load_open(pupils)
            persistent_before = emerging.persistent_open(self, pupils.keys())
            for change in pupils.values():
                await self.per_date(change, change.pupil_id in self.changes.social_workers)
            await self._yearly(pupils.values())
        await emerging.judge(self, persistent_before)  # after persistent absence, which closes it
        if pupils:
            amended = [c for c in pupils.values() if c.amended]
            await self._runs_and_windows([c for c in pupils.values() if not c.amended])
            for change in amended:
                await self._recompute(change)
        # A new school day can make an N overdue; an N added or amended away changes which are.
        if self.changes.new_school_days or any(n_changed(c) for c in pupils.values()):
            await self._overdue_n()
        await self.ledger.write()

    # -- open/clear -------------------------------------------------------------------------

    async def load_open(self, pupil_ids: Iterable[int]) -> None:
        await self.ledger.load(pupil_ids)

    def is_open(self, pupil_id: int, kind: str, date: dt.date | None = None) -> bool:
        return (pupil_id, kind, date_key(date)) in self.open

    async def sync(
        self,
        pupil_id: int,
        upn: str,
        kind: str,
        holds: bool,
        evidence: EvidenceFn,
        date: dt.date | None = None,
        reason: str = "",
    ) -> None:
        """Raise `kind` if it holds and is not open; clear it if it is open and no longer holds."""
        alert = self.open.get((pupil_id, kind, date_key(date)))
        if holds and alert is None and kind in self.t.enabled:
            alert = OpenAlert(
                id=str(uuid.uuid4()),
                type=kind,
                pupil_id=pupil_id,
                school_urn=self.changes.school_urn,
                la_code=self.changes.la_code,
                upn=upn,
                date=date,
                raised_at=self.now,
                rule_version=rules.RULE_VERSION,
                evidence=await evidence(),
            )
            self.ledger.add(alert)
        elif not holds and alert is not None:
            self.ledger.clear(alert, reason or "the condition no longer holds")

    # -- the rules --------------------------------------------------------------------------

    async def per_date(self, change: PupilChanges, has_social_worker: bool) -> None:
        pid = change.pupil_id
        for date, (_, day) in change.days.items():
            key = date.isoformat()
            for kind, holds, wanted, left in (
                ("first_day_absence", rules.first_day_absence_holds(day), {"N"}, "N"),
                (
                    "social_worker_unexplained_absence",
                    rules.social_worker_absence_holds(has_social_worker, day),
                    {"N", "O"},
                    "N or O",
                ),
            ):
                if holds == ((pid, kind, key) in self.open):
                    continue  # nothing to raise or clear: most marks of most mornings
                marks = evidence_marks({date: day}, wanted)
                evidence = static({"figures": {"sessions": len(marks)}, "marks": marks})
                reason = f"no {left} left on {date}"
                await self.sync(pid, change.upn, kind, holds, evidence, date, reason)

    async def _yearly(self, changes: Iterable[PupilChanges]) -> None:
        """Year-to-date rates (the pupil's latest academic year); illness days per year touched."""
        changes = list(changes)
        year_of = {d: academic_year_start(d) for d in {d for c in changes for d in c.days}}
        years = await self._year_counts(changes, year_of)
        for change in changes:
            # An amendment to last year's marks must not judge this year's rate alerts by last year.
            pid = change.pupil_id
            counts = years.get(pid, {})
            year = max([year_of[max(change.days)], *counts])
            row = counts.get(year)
            c = Counts(row[0], row[1], row[2], row[3]) if row else Counts()
            pa_open = (pid, "persistent_absence", "-") in self.open
            sa_open = (pid, "severe_absence", "-") in self.open
            pa = rules.persistent_absence_holds(c, pa_open, self.t)
            sa = rules.severe_absence_holds(c, sa_open, self.t)
            if pa != pa_open or sa != sa_open:  # most pupils on most mornings: nothing changes
                absences = year_evidence(
                    self.session, pid, year, ABSENCE_CODES, partial(rules.rate_figures, c, year)
                )
                reason = "rate below the clear level"
                await self.sync(pid, change.upn, "persistent_absence", pa, absences, reason=reason)
                await self.sync(pid, change.upn, "severe_absence", sa, absences, reason=reason)
            if (pid, "fifteen_day_illness", "-") in self.open or any(
                r[4] >= self.t.illness_days for r in counts.values()
            ):
                await self._illness(change, {y: r[4] for y, r in counts.items()})

    async def _year_counts(
        self, changes: list[PupilChanges], year_of: dict[dt.date, dt.date]
    ) -> dict[int, dict[dt.date, YearCounts]]:
        """Each pupil's counts of the years the batch touched and of their latest year.

        The batch's own upsert returned the counts it changed: enough for a pupil whose touched
        years all changed and include the school's latest. Anyone else (a change that moved no
        count, or marks of an earlier year) has all their years read.
        """
        known, latest = self.changes.years, self.changes.latest_year
        years: dict[int, dict[dt.date, YearCounts]] = {}
        unknown: list[int] = []
        for change in changes:
            counts = known.get(change.pupil_id)
            if counts and max(counts) == latest and all(year_of[d] in counts for d in change.days):
                years[change.pupil_id] = counts
            else:
                unknown.append(change.pupil_id)
                years[change.pupil_id] = {}
        if unknown:
            columns = (
                YearCount.pupil_id,
                YearCount.year_start,
                *(getattr(YearCount, f) for f in YEAR_COLUMNS),
            )
            for r in await select_where_in(self.session, columns, YearCount.pupil_id, unknown):
                years[r["pupil_id"]][r["year_start"]] = tuple(r[f] for f in YEAR_COLUMNS)
        return years

    async def _illness(self, change: PupilChanges, illness_days: dict[dt.date, int]) -> None:
        """15 illness days in an academic year; clears only when an amendment takes that year below.

        A new academic year starting from nothing is not an amendment: the alert stays open.
        """
        pid, kind, threshold = change.pupil_id, "fifteen_day_illness", self.t.illness_days
        touched = sorted({academic_year_start(d) for d in change.days}, reverse=True)
        alert = self.open.get((pid, kind, date_key(None)))
        if alert is not None:
            year = evidence_year(alert.evidence)
            holds = year is None or year not in touched or illness_days.get(year, 0) >= threshold
            reason = "fewer illness days after an amendment"
            await self.sync(pid, change.upn, kind, holds, static({}), reason=reason)
            if holds:
                return
        for year in touched:  # the latest year at the threshold, if any
            days = illness_days.get(year, 0)
            if days >= threshold:
                figures = partial(illness_figures, days, threshold, year)
                evidence = year_evidence(self.session, pid, year, {"I"}, figures)
                await self.sync(pid, change.upn, kind, True, evidence)
                return

    async def _runs_and_windows(self, changes: list[PupilChanges]) -> None:
        """New wholly-unauthorised days and new G/N/O/U sessions: look only around them."""
        run_days: dict[int, list[dt.date]] = {}  # days wholly unauthorised
        window_weeks: dict[int, list[dt.date]] = {}  # days with an unauthorised session
        for change in changes:  # a thousand a batch, most of them present
            for d, (_, (am, pm)) in change.days.items():
                if am in UNAUTHORISED_FOR_PENALTY or pm in UNAUTHORISED_FOR_PENALTY:
                    window_weeks.setdefault(change.pupil_id, []).append(d)
                    if rules.wholly_unauthorised(am, pm):
                        run_days.setdefault(change.pupil_id, []).append(d)
        if not run_days and not window_weeks:
            return
        dates = [d for days in (*run_days.values(), *window_weeks.values()) for d in days]
        span = (min(dates) - self._margin(), max(dates) + self._margin())
        school_days = list(
            await self.session.scalars(
                select(SchoolDay.date)
                .where(SchoolDay.school_urn == self.changes.school_urn, SchoolDay.date.between(*span))
                .order_by(SchoolDay.date)
            )
        )
        reach = max(n for _, n, _ in self._runs()) - 1
        all_marks = await pupils_days(self.session, list(run_days), span[0], span[1], self.dialect)
        for pid, days in run_days.items():
            change = self.changes.pupils[pid]
            # Each day's own neighbourhood: one list of them all would join far-apart runs.
            pieces = [piece for day in days if (piece := neighbours(school_days, day, reach))]
            if not pieces:
                continue
            marks = all_marks.get(pid, {})
            for kind, n, codes in self._runs():
                length, run = max((rules.longest_run(p, marks, codes) for p in pieces), key=lambda r: r[0])
                if length >= n:
                    await self.sync(pid, change.upn, kind, True, static(run_evidence(run, marks)))
        weeks = sorted({rules.week_of(d) for d in school_days})
        all_counts = await weeks_counts(self.session, list(window_weeks), weeks, self.dialect)
        for pid, days in window_weeks.items():
            change = self.changes.pupils[pid]
            around = sorted(
                {w for day in days for w in neighbours(weeks, rules.week_of(day), self.t.penalty_weeks - 1)}
            )
            counts = all_counts.get(pid, {})
            best, window = best_window_containing(
                around, counts, {rules.week_of(d) for d in days}, self.t.penalty_weeks
            )
            if best >= self.t.penalty_sessions:
                await self.sync(
                    pid, change.upn, "penalty_threshold", True, self._window_evidence(pid, window, best)
                )

    async def _recompute(self, change: PupilChanges) -> None:
        """After an amendment: the pupil's runs and penalty windows around the amended days and
        around the run or window of any alert already open (which may lie in another year)."""
        pid, upn = change.pupil_id, change.upn
        anchors = [*change.days]
        for kind in ("ten_day_unauthorised", "twenty_day_continuous_absence", "penalty_threshold"):
            if alert := self.open.get((pid, kind, date_key(None))):
                anchors += evidence_dates(alert.evidence)
        start, end = min(anchors) - self._margin(), max(anchors) + self._margin()
        school_days = list(
            await self.session.scalars(
                select(SchoolDay.date)
                .where(SchoolDay.school_urn == self.changes.school_urn, SchoolDay.date.between(start, end))
                .order_by(SchoolDay.date)
            )
        )
        marks = await pupil_days(self.session, pid, start, end)
        for kind, n, codes in self._runs():
            length, run = rules.longest_run(school_days, marks, codes)
            reason = "the run was broken by an amendment"
            await self.sync(pid, upn, kind, length >= n, static(run_evidence(run, marks)), reason=reason)
        weeks = sorted({rules.week_of(d) for d in school_days})
        counts = await week_counts(self.session, pid, weeks)
        best, window = rules.best_penalty_window(weeks, counts, self.t.penalty_weeks)
        await self.sync(
            pid,
            upn,
            "penalty_threshold",
            best >= self.t.penalty_sessions,
            self._window_evidence(pid, window, best),
            reason="an amendment took it below the threshold",
        )

    async def _overdue_n(self) -> None:
        """Pupils of the school with an `N` that has `overdue_n_school_days` school days after it.

        Only two kinds of pupil can change state: those whose `N`s just changed, and, when the
        school has new school days, those with an `N` recent enough that the new days may have
        taken it to the deadline (older ones were overdue already, their alerts open). So the work
        is bounded by the last few school days' `N`s, however many old ones are never resolved.
        """
        urn, k = self.changes.school_urn, self.t.overdue_n_school_days
        candidates = {c.pupil_id: c.upn for c in self.changes.pupils.values() if n_changed(c)}
        if self.changes.new_school_days:
            since = await self._kth_school_day_before(min(self.changes.new_school_days), k)
            recent = select(Mark.pupil_id, Pupil.upn).join(Pupil, Pupil.id == Mark.pupil_id)
            recent = recent.where(Mark.school_urn == urn, Mark.code == "N")
            if since is not None:
                recent = recent.where(Mark.date >= since)
            candidates |= {pupil_id: upn for pupil_id, upn in await self.session.execute(recent)}
        if not candidates:
            return
        rows = await self.session.execute(
            select(Mark.date, Mark.session, Mark.pupil_id).where(
                Mark.school_urn == urn,
                Mark.code == "N",
                any_of(Mark.pupil_id, list(candidates), self.dialect),
            )
        )
        ns = sorted((r.date, r.session, r.pupil_id) for r in rows)
        await self.load_open(candidates)
        days = []
        if ns:
            days = list(
                await self.session.scalars(
                    select(SchoolDay.date)
                    .where(SchoolDay.school_urn == urn, SchoolDay.date > ns[0][0])
                    .order_by(SchoolDay.date)
                )
            )
        overdue: dict[int, list[dict[str, str]]] = {}
        for date, session_name, pid in ns:
            after = len(days) - bisect.bisect_right(days, date)
            if rules.overdue_n_holds(date, after, self.t):
                overdue.setdefault(pid, []).append(
                    {"date": date.isoformat(), "session": session_name, "code": "N"}
                )
        figures = {"school_days": k}
        for pid, upn in candidates.items():
            marks = overdue.get(pid, [])
            if bool(marks) == self.is_open(pid, "overdue_n"):
                continue
            evidence = static({"figures": {**figures, "overdue_marks": len(marks)}, "marks": marks})
            await self.sync(pid, upn, "overdue_n", bool(marks), evidence, reason="the N was amended")

    async def _kth_school_day_before(self, date: dt.date, k: int) -> dt.date | None:
        """The k-th school day before `date`: an `N` earlier than it had k school days after it
        before `date` was new. None if the school has fewer."""
        earlier = list(
            await self.session.scalars(
                select(SchoolDay.date)
                .where(SchoolDay.school_urn == self.changes.school_urn, SchoolDay.date < date)
                .order_by(SchoolDay.date.desc())
                .limit(k)
            )
        )
        return earlier[-1] if len(earlier) == k else None

    def _runs(self) -> tuple[tuple[str, int, frozenset[str]], ...]:
        """The run alerts: type, school days needed, and the codes both sessions of each must have."""
        return (
            ("ten_day_unauthorised", self.t.ten_day_run_days, rules.UNAUTHORISED_FOR_PENALTY),
            ("twenty_day_continuous_absence", self.t.twenty_day_run_days, rules.CONTINUOUS_ABSENCE_CODES),
        )

    def _margin(self) -> dt.timedelta:
        """Calendar days around a mark that hold its runs and penalty windows, across a summer
        holiday and half-terms: three weeks per school week of the window, or per run's week."""
        longest_run = max(n for _, n, _ in self._runs())
        return dt.timedelta(days=7 * 3 * max(self.t.penalty_weeks, -(-longest_run // 5)))

    # -- evidence ---------------------------------------------------------------------------

    def _window_evidence(self, pid: int, window: list[dt.date], best: int) -> EvidenceFn:
        return window_evidence(self.session, pid, window, best, self.t.penalty_sessions)
