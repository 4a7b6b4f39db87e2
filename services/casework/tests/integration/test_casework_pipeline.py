"""The real worker over the session's broker: pupil and alert events on their topics become a family
case, whose events the relay publishes on `attendance.cases`, keyed by the family key."""

from __future__ import annotations

import pytest
from casework_broker_support import fresh_casework_settings, publish, read_until
from casework_support import alert_raised, new_email, new_upn, new_urn, parent
from sqlalchemy import select

from attendance_common.db import Database
from attendance_common.events.base import CASES_TOPIC
from attendance_common.events.registers import Characteristics, PupilUpserted
from attendance_common.testing.workers import eventually, running
from casework.models import Case, CasePupil, Pupil
from casework.worker import make_worker

pytestmark = pytest.mark.integration


def pupil_event(urn: str, upn: str, email: str) -> PupilUpserted:
    return PupilUpserted(
        school_urn=urn,
        la_code="380",
        upn=upn,
        given_name="Augusta",
        family_name="Byron",
        year_group="6",
        start_date="2025-09-01",
        characteristics=Characteristics(),
        contacts=[parent(email)],
    )


async def test_a_severe_alert_on_the_topic_opens_the_family_case_and_publishes_it(
    backend, test_databases, kafka_bootstrap
):
    settings = fresh_casework_settings(test_databases, backend, kafka_bootstrap)
    email, (here, there), (ada, byron) = new_email(), (new_urn(), new_urn()), (new_upn(), new_upn())
    severe = alert_raised(here, ada, "severe_absence")
    await publish(
        settings,
        (pupil_event(here, ada, email), "registers"),
        (pupil_event(there, byron, email), "registers"),
    )
    database = Database(settings.resolved_database_url)
    try:
        async with running(make_worker(settings)) as task:

            async def family_case() -> Case | None:
                async with database.transaction() as session:
                    case_id = await session.scalar(select(CasePupil.case_id).where(CasePupil.upn == byron))
                    return await session.get(Case, case_id) if case_id else None

            async def both_pupils_known() -> bool:
                async with database.transaction() as session:
                    found = await session.scalars(select(Pupil.upn).where(Pupil.upn.in_([ada, byron])))
                    return len(set(found)) == 2

            await eventually(both_pupils_known, what="both pupils", tasks=(task,))
            await publish(settings, (severe, "alerts"))
            case = await eventually(family_case, what="the family case", tasks=(task,))
            assert case is not None
            wanted = {"attendance.case.opened", "attendance.referral.made"}
            records = await read_until(kafka_bootstrap, CASES_TOPIC, case.family_key, wanted)
    finally:
        await database.dispose()
    assert case.stage == "facilitate_support"
    by_type = {kind: (data, record) for kind, data, record in records}
    opened, record = by_type["attendance.case.opened"]
    assert {(p["school_urn"], p["upn"]) for p in opened["pupils"]} == {(here, ada), (there, byron)}
    assert dict(record.headers)["ce_subject"] == case.id.encode()
    referral, _ = by_type["attendance.referral.made"]
    assert (referral["to"], referral["reason"], referral["upn"]) == ("local_authority", "severe_absence", ada)
    published = b"".join(r.value for _, _, r in records)
    assert email.encode() not in published and b"Augusta" not in published
