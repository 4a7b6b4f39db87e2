"""A first path through the API: a school, a pupil, a mark, its summary."""

import pytest
from registers_factories import mark

pytestmark = pytest.mark.integration


async def test_a_recorded_mark_shows_in_the_pupils_attendance(client, school):
    posted = await client.post(
        f"/v1/schools/{school.urn}/marks",
        json={"marks": [mark(school.upn, "2026-11-16", code="N")]},
        headers=school.mis,
    )
    assert posted.json() == {"accepted": 1, "amended": 0, "unchanged": 0, "rejected": []}
    summary = await client.get(f"/v1/schools/{school.urn}/pupils/{school.upn}/attendance", headers=school.mis)
    assert summary.json()["unauthorised_absence"] == 1
    assert summary.json()["possible_sessions"] == 1
