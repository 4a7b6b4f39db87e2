"""The default routing table is api.md's; overrides replace an audience's channels per trigger."""

import pytest

from notifications.delivery.routing import DEFAULT_ROUTES, TRIGGERS, check, resolve

# api.md "Default routing", row by row: (parents, social worker, LA webhook).
API_MD = {
    "first_day_absence": (["app", "email", "sms"], None, None),
    "social_worker_unexplained_absence": (None, ["email"], None),
    "persistent_absence": (["app", "email"], None, None),
    "severe_absence": (["app", "email"], ["email"], ["webhook"]),
    "ten_day_unauthorised": (None, ["email"], ["webhook"]),
    "fifteen_day_illness": (None, None, ["webhook"]),
    "pupil_deleted": (None, ["email"], ["webhook"]),
    "referral_made": (None, None, ["webhook"]),
    # api.md Part 2: a school's decision reaches the parents, "app, and email where they have one".
    "absence_report_decided": (["app", "email"], None, None),
    "leave_request_decided": (["app", "email"], None, None),
    # api.md Part 2: parents "get a message of kind `plan_agreed` when one starts" (app and email,
    # as the other messages to parents that are not first-day contacts).
    # api.md Part 2 "LA event streams": the plan and support-meeting events reach the LA as its
    # webhooks carry them (a subscription picks them by `event_types`).
    "plan_agreed": (["app", "email"], None, ["webhook"]),
    "plan_reviewed": (None, None, ["webhook"]),
    "plan_ended": (None, None, ["webhook"]),
    "support_meeting_held": (None, None, ["webhook"]),
    # api.md Part 2 "Finding pupils who need support".
    "emerging_absence": (["app", "email"], None, None),
    "twenty_day_continuous_absence": (None, ["email"], ["webhook"]),
}


@pytest.mark.parametrize("trigger", sorted(API_MD))
def test_default_routes_match_the_table_in_api_md(trigger):
    routes = DEFAULT_ROUTES[trigger]
    expected = dict(zip(("parents", "social_worker", "local_authority"), API_MD[trigger], strict=True))
    assert routes == {audience: channels for audience, channels in expected.items() if channels}


def test_triggers_outside_the_table_notify_no_one_by_default():
    assert {t for t in TRIGGERS if DEFAULT_ROUTES[t]} == set(API_MD)


def test_the_most_specific_scope_wins_and_untouched_audiences_are_kept():
    scopes = {
        "default": {"severe_absence": {"social_worker": []}},
        "la:380": {"severe_absence": {"parents": ["app"]}},
        "school:100001": {"severe_absence": {"parents": ["email"]}},
    }
    at_school = resolve(scopes, "100001", "380")["severe_absence"]
    assert at_school == {"parents": ["email"], "social_worker": [], "local_authority": ["webhook"]}
    elsewhere_in_la = resolve(scopes, "100002", "380")["severe_absence"]
    assert elsewhere_in_la["parents"] == ["app"]


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ({"no_such": {"parents": ["app"]}}, "unknown trigger"),
        ({"first_day_absence": {"neighbours": ["app"]}}, "unknown audience"),
        ({"first_day_absence": {"parents": ["webhook"]}}, "not allowed"),
        ({"first_day_absence": {"parents": "app"}}, "list of channels"),
    ],
)
def test_bad_overrides_say_what_is_wrong(routes, message):
    with pytest.raises(ValueError, match=message):
        check(routes)
