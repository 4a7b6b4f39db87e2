"""Family keys and automatic steps as pure functions."""

from __future__ import annotations

from attendance_common.events.registers import Contact
from casework.families import family_key
from casework.steps import PEOPLE_ONLY_STAGES, STEPS, raises, stage_wanted

SECRET = "test-secret"


def contact(email: str | None, *, priority: int = 1, pr: bool = True, cid: str = "c1") -> Contact:
    return Contact(contact_id=cid, name="P", parental_responsibility=pr, email=email, priority=priority)


def test_the_same_email_in_any_case_gives_the_same_key():
    one = family_key(SECRET, "A801200115001", [contact("Mum@Example.com ")])
    other = family_key(SECRET, "B801200115002", [contact("mum@example.com")])
    assert one == other


def test_the_key_depends_on_the_secret_and_hides_the_email():
    key = family_key(SECRET, "A801200115001", [contact("mum@example.com")])
    assert key != family_key("another", "A801200115001", [contact("mum@example.com")])
    assert "mum" not in key


def test_without_a_priority_1_parent_with_an_email_a_pupil_is_a_family_of_one():
    no_email = family_key(
        SECRET, "A801200115001", [contact(None), contact("x@example.com", priority=2, cid="c2")]
    )
    no_pr = family_key(SECRET, "A801200115001", [contact("x@example.com", pr=False)])
    alone = family_key(SECRET, "A801200115001", [])
    assert no_email == no_pr == alone
    assert alone != family_key(SECRET, "B801200115002", [])


def test_the_strongest_alert_decides_the_stage():
    assert stage_wanted(["persistent_absence", "severe_absence"]) == "facilitate_support"
    assert stage_wanted(["ten_day_unauthorised"]) is None


def test_automation_only_raises():
    assert raises("monitor", "listen_and_understand")
    assert not raises("enforce", "facilitate_support")
    assert not raises("listen_and_understand", None)


def test_no_automatic_step_reaches_formalise_or_enforce():
    assert not {step.at_least for step in STEPS.values()} & PEOPLE_ONLY_STAGES


def test_the_early_support_alerts_ask_for_monitor_and_facilitate_support():
    assert stage_wanted(["emerging_absence"]) == "monitor"
    assert stage_wanted(["emerging_absence", "twenty_day_continuous_absence"]) == "facilitate_support"
    assert STEPS["twenty_day_continuous_absence"].referral == "children_missing_education_enquiry"
    assert STEPS["emerging_absence"].referral is None
