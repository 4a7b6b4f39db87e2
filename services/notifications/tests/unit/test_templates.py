"""Parents get plain, kind, support-first words; nothing in a first-day message threatens."""

import datetime as dt

import pytest

from notifications.delivery import templates

THREATS = ("fine", "penalt", "prosecut", "court", "legal", "sanction", "£", "must")
CONTEXT = {
    "child": "Ada",
    "child_full": "Ada Lovelace",
    "upn": "A801200115001",
    "school": "Hill Primary",
    "day": "Monday 16 November 2026",
    "when": "today",
    "sessions": "morning",
    "codes": "N",
    "missed": 33,
    "possible": 60,
    "percent": "55%",
    "run_days": 10,
    "run_from": "",
    "run_to": "",
    "ground": "moved away",
    "note": None,
    "parent_name": "Annabella",
    "recipient_name": "Sam",
}


@pytest.mark.parametrize(
    "trigger", ["first_day_absence", "persistent_absence", "severe_absence", "overdue_n"]
)
@pytest.mark.parametrize("sms", [False, True])
def test_parent_messages_never_threaten(trigger, sms):
    text = templates.render("parents", trigger, CONTEXT, sms=sms)
    words = (text.title + " " + text.body).lower()
    assert [t for t in THREATS if t in words] == []
    assert "Ada" in text.body


def test_a_first_day_message_offers_help_and_thanks_parents_who_already_called():
    text = templates.render("parents", "first_day_absence", CONTEXT)
    assert text.title == "Ada was not in school today"
    assert text.body.startswith("Hello Annabella,")
    assert "we would like to help" in text.body and "thank you" in text.body


def test_a_severe_absence_message_offers_a_plan_with_the_family():
    text = templates.render("parents", "severe_absence", CONTEXT)
    assert "33 of the 60" in text.body and "55%" in text.body and "agree a plan" in text.body


def test_an_sms_is_short_enough_for_three_text_messages():
    assert len(templates.render("parents", "first_day_absence", CONTEXT, sms=True).body) <= 459


def test_a_late_mark_names_its_day_instead_of_today():
    assert templates.when_text(dt.date(2026, 11, 2), dt.date(2026, 11, 16)) == "on Monday 2 November"
    assert templates.when_text(dt.date(2026, 11, 16), dt.date(2026, 11, 16)) == "today"


def test_sessions_read_as_words():
    assert templates.sessions_text(["PM", "AM"]) == "morning and afternoon"
    assert templates.sessions_text(["PM"]) == "afternoon"
