"""Families (api.md "Casework"): pupils whose priority-1 contact with parental responsibility has the
same email, across schools, share one case; a change of contacts moves a pupil between families."""

from __future__ import annotations

import pytest
from casework_support import admin, members, new_email, new_upn, new_urn, only_case, parent

pytestmark = pytest.mark.integration


async def test_siblings_in_two_schools_share_one_case_listing_both(client, feed):
    email = new_email()
    (primary, secondary), (ada, byron) = (new_urn(), new_urn()), (new_upn(), new_upn())
    await feed.pupil(primary, ada, email=email)
    await feed.pupil(secondary, byron, email=email.upper())  # emails match case-insensitively
    await feed.alert(primary, ada, "persistent_absence")
    case = await only_case(client, byron)
    assert members(case) == {(primary, ada), (secondary, byron)}
    assert case == await only_case(client, ada)


async def test_a_sibling_alert_joins_the_familys_open_case_rather_than_opening_another(client, feed):
    email, urn, (ada, byron) = new_email(), new_urn(), (new_upn(), new_upn())
    await feed.pupil(urn, ada, email=email)
    await feed.pupil(urn, byron, email=email)
    await feed.alert(urn, ada, "persistent_absence")
    await feed.alert(urn, byron, "persistent_absence")
    case = await only_case(client, ada)
    assert sorted(a["upn"] for a in case["alerts"]) == sorted([ada, byron])


async def test_only_the_priority_1_contact_with_parental_responsibility_groups_a_family(client, feed):
    shared, urn, (ada, byron) = new_email(), new_urn(), (new_upn(), new_upn())
    await feed.pupil(urn, ada, email=shared)
    # Byron's priority-1 contact has no parental responsibility; the shared email is only priority 2.
    await feed.pupil(urn, byron, parent(new_email(), pr=False), parent(shared, contact_id="c2", priority=2))
    await feed.alert(urn, ada, "persistent_absence")
    await feed.alert(urn, byron, "persistent_absence")
    assert members(await only_case(client, ada)) == {(urn, ada)}
    assert members(await only_case(client, byron)) == {(urn, byron)}


async def test_a_pupil_with_no_such_contact_is_a_family_of_one(client, feed):
    urn, (ada, byron) = new_urn(), (new_upn(), new_upn())
    await feed.pupil(urn, ada, parent(None))
    await feed.pupil(urn, byron, parent(None))
    await feed.alert(urn, ada, "persistent_absence")
    assert members(await only_case(client, ada)) == {(urn, ada)}


async def test_a_contact_change_moves_the_pupil_to_the_new_familys_case(client, feed):
    first, second, urn = new_email(), new_email(), new_urn()
    ada, byron, cara = new_upn(), new_upn(), new_upn()
    await feed.pupil(urn, ada, email=first)
    await feed.pupil(urn, byron, email=first)
    await feed.pupil(urn, cara, email=second)
    await feed.alert(urn, ada, "persistent_absence")
    await feed.alert(urn, cara, "persistent_absence")
    await feed.pupil(urn, byron, email=second)  # Byron now lives with Cara's parent
    assert members(await only_case(client, ada)) == {(urn, ada)}
    assert members(await only_case(client, cara)) == {(urn, byron), (urn, cara)}


async def test_a_pupil_leaving_takes_its_open_alert_and_its_steps_to_the_new_family(client, feed):
    first, second, urn = new_email(), new_email(), new_urn()
    ada, byron = new_upn(), new_upn()
    await feed.pupil(urn, ada, email=first)
    await feed.pupil(urn, byron, email=first)
    await feed.alert(urn, ada, "persistent_absence")
    severe = await feed.alert(urn, byron, "severe_absence")
    await feed.pupil(urn, byron, email=second)
    left, moved = await only_case(client, ada), await only_case(client, byron)
    assert left["id"] != moved["id"]
    assert [a["id"] for a in moved["alerts"]] == [severe.alert_id]
    assert moved["stage"] == "facilitate_support"
    # The LA was told once, from the case Byron was in when the alert came.
    assert [r["reason"] for r in left["referrals"] + moved["referrals"]] == ["severe_absence"]


async def test_a_corrected_email_keeps_a_single_childs_case(client, feed):
    urn, ada = new_urn(), new_upn()
    await feed.pupil(urn, ada, email=new_email())
    await feed.alert(urn, ada, "persistent_absence")
    before = await only_case(client, ada)
    await feed.pupil(urn, ada, email=new_email())
    after = await only_case(client, ada)
    assert after["id"] == before["id"]
    assert after["family_key"] != before["family_key"]


async def test_joining_a_family_with_a_case_closes_the_case_left_empty(client, feed):
    shared, urn, (ada, byron) = new_email(), new_urn(), (new_upn(), new_upn())
    await feed.pupil(urn, ada, email=shared)
    await feed.pupil(urn, byron, email=new_email())
    await feed.alert(urn, ada, "persistent_absence")
    await feed.alert(urn, byron, "persistent_absence")
    old = await only_case(client, byron)
    await feed.pupil(urn, byron, email=shared)
    assert members(await only_case(client, ada)) == {(urn, ada), (urn, byron)}
    closed = (await client.get(f"/v1/cases/{old['id']}", headers=admin())).json()
    assert (closed["status"], closed["outcome"]) == ("closed", "other")
    events = [row.event_type for row in await feed.outbox(old["id"])]
    assert events[-1] == "attendance.case.closed"


async def test_the_family_key_is_opaque(client, feed):
    email, urn, ada = new_email(), new_urn(), new_upn()
    await feed.pupil(urn, ada, email=email)
    await feed.alert(urn, ada, "persistent_absence")
    case = await only_case(client, ada)
    assert case["family_key"].startswith("fam_")
    assert email.split("@")[0] not in case["family_key"]
    (opened,) = [r for r in await feed.outbox(case["id"]) if r.event_type == "attendance.case.opened"]
    assert opened.key == case["family_key"]
    assert email not in opened.data and "@" not in opened.data
