"""Who may set and read alerts' rules and notifications' routing at which scope: one rule for both."""

from __future__ import annotations

import pytest

from attendance_common import scopes
from attendance_common.auth import Principal, Role
from attendance_common.errors import Forbidden, Unprocessable

ADMIN = Principal(sub="a", role=Role.ADMIN)
STAFF = Principal(sub="s", role=Role.SCHOOL_STAFF, schools=frozenset({"100001"}))
OFFICER = Principal(sub="o", role=Role.LA_OFFICER, la="380")
MIS = Principal(sub="m", role=Role.MIS, schools=frozenset({"100001"}))
WORKER = Principal(sub="w", role=Role.SOCIAL_WORKER, email="w@la.example")
TRUST_OFFICER = Principal(sub="t", role=Role.TRUST_OFFICER, trust="T123")
GOVERNOR = Principal(sub="g", role=Role.GOVERNOR, schools=frozenset({"100001"}))


@pytest.mark.parametrize("scope", ["default", "la:380", "school:100001"])
def test_the_three_kinds_of_scope_are_accepted(scope):
    assert scopes.checked(scope) == scope


@pytest.mark.parametrize(
    "scope", ["la:380x", "school:1000011", "school:100001\n", "la:380\n", "default\n", " default", "la:٣٨٠"]
)
def test_a_scope_must_match_whole(scope):
    with pytest.raises(Unprocessable) as refused:
        scopes.checked(scope)
    assert refused.value.code == "bad_scope"


# (principal, scope, the LA of the scope's school) -> may write
WRITES = [
    (ADMIN, "default", None, True),
    (ADMIN, "school:100002", None, True),
    (OFFICER, "la:380", None, True),
    (OFFICER, "school:100002", "380", True),
    (OFFICER, "la:381", None, False),
    (OFFICER, "school:100002", "381", False),
    (OFFICER, "school:100002", None, False),  # a school this service has not heard of
    (OFFICER, "default", None, False),
    (STAFF, "school:100001", "380", True),
    (STAFF, "school:100002", "380", False),
    (STAFF, "la:380", None, False),
    (STAFF, "default", None, False),
    (MIS, "school:100001", "380", False),
    (WORKER, "school:100001", "380", False),
]


@pytest.mark.parametrize(("principal", "scope", "school_la", "may"), WRITES)
def test_who_may_write_which_scope(principal, scope, school_la, may):
    if may:
        scopes.ensure_may_write(principal, scope, school_la, "rules")
        return
    with pytest.raises(Forbidden) as refused:
        scopes.ensure_may_write(principal, scope, school_la, "rules")
    assert refused.value.code == "forbidden_scope"


@pytest.mark.parametrize(
    ("principal", "school_la", "may"),
    [
        (ADMIN, None, True),
        (STAFF, "380", True),
        (OFFICER, "380", True),
        (OFFICER, "381", False),
        (MIS, "380", False),
    ],
)
def test_who_may_read_a_schools_overrides(principal, school_la, may):
    if may:
        scopes.ensure_may_read_school(principal, "100001", school_la, "rules")
        return
    with pytest.raises(Forbidden) as refused:
        scopes.ensure_may_read_school(principal, "100001", school_la, "rules")
    assert refused.value.code == "forbidden_school"


@pytest.mark.parametrize("scope", ["default", "la:380"])
def test_statutory_triggers_may_be_switched_off_above_school_scope(scope):
    scopes.ensure_statutory_kept(scope, ["first_day_absence"])


def test_statutory_triggers_are_never_switched_off_at_school_scope():
    scopes.ensure_statutory_kept("school:100001", [])
    with pytest.raises(Forbidden) as refused:
        scopes.ensure_statutory_kept("school:100001", ["first_day_absence"])
    assert refused.value.code == "statutory_trigger"


def test_at_a_school_the_default_then_its_las_then_its_own_settings_apply():
    stored = {"school:100001": {"x": 3}, "la:381": {"x": 9}, "default": {"x": 1}, "la:380": {"x": 2}}
    assert scopes.applying("100001", "380") == ("default", "la:380", "school:100001")
    assert list(scopes.in_force(stored, "100001", "380").items()) == [
        ("default", {"x": 1}),
        ("la:380", {"x": 2}),
        ("school:100001", {"x": 3}),
    ]


def test_a_school_of_no_known_la_has_the_default_and_its_own_settings():
    stored = {"la:380": {"x": 2}, "school:100001": {"x": 3}}
    assert scopes.in_force(stored, "100001", None) == {"school:100001": {"x": 3}}
    assert scopes.in_force(stored, "", "380") == {"la:380": {"x": 2}}  # an `la:` scope's own answer


@pytest.mark.parametrize(("principal", "shown"), [(ADMIN, {"default", "la:380"}), (OFFICER, {"default"})])
def test_without_a_school_only_an_admin_is_shown_every_scope(principal, shown):
    stored = {"default": {}, "la:380": {}}
    assert set(scopes.shown_without_school(stored, principal)) == shown


# (principal, scope, the trust of the scope's school) -> may write; a trust officer is its trust's staff.
TRUST_WRITES = [
    (TRUST_OFFICER, "school:100001", "T123", True),
    (TRUST_OFFICER, "school:100001", "T999", False),
    (TRUST_OFFICER, "school:100001", None, False),  # in no trust, or not heard of
    (TRUST_OFFICER, "la:380", None, False),
    (TRUST_OFFICER, "default", None, False),
    (GOVERNOR, "school:100001", None, False),
]


@pytest.mark.parametrize(("principal", "scope", "school_trust", "may"), TRUST_WRITES)
def test_a_trust_officer_writes_its_trust_schools_scopes_and_a_governor_none(
    principal, scope, school_trust, may
):
    if may:
        scopes.ensure_may_write(principal, scope, "380", "rules", school_trust)
        return
    with pytest.raises(Forbidden) as refused:
        scopes.ensure_may_write(principal, scope, "380", "rules", school_trust)
    assert refused.value.code == "forbidden_scope"


@pytest.mark.parametrize(
    ("principal", "school_trust", "may"),
    [(TRUST_OFFICER, "T123", True), (TRUST_OFFICER, "T999", False), (GOVERNOR, None, False)],
)
def test_a_trust_officer_reads_its_trust_schools_overrides_and_a_governor_none(principal, school_trust, may):
    if may:
        scopes.ensure_may_read_school(principal, "100001", "380", "rules", school_trust)
        return
    with pytest.raises(Forbidden) as refused:
        scopes.ensure_may_read_school(principal, "100001", "380", "rules", school_trust)
    assert refused.value.code == "forbidden_school"
