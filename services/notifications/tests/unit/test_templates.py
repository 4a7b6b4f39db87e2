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


EMERGING = {**CONTEXT, "missed": 4, "possible": 40, "percent": "10%", "recent_days": 20}


def test_an_emerging_absence_message_offers_a_conversation_early():
    text = templates.render("parents", "emerging_absence", EMERGING)
    assert text.title == "Could we have a chat about how Ada is getting on?"
    assert text.body.startswith("Hello Annabella,")
    assert "last 20 school days" in text.body and "4 of 40" in text.body and "10%" in text.body
    assert "arrange a chat" in text.body and "We are here to help" in text.body


def test_an_emerging_absence_message_never_mentions_fines_or_threatens():
    text = templates.render("parents", "emerging_absence", EMERGING)
    words = (text.title + " " + text.body).lower()
    assert [t for t in THREATS if t in words] == []


def test_a_twenty_day_message_tells_the_social_worker_of_the_run_and_the_joint_enquiries():
    context = {
        **CONTEXT,
        "run_days": 20,
        "run_from": "Monday 7 September 2026",
        "run_to": "Friday 2 October 2026",
    }
    text = templates.render("social_worker", "twenty_day_continuous_absence", context)
    assert text.title == "Not in school for 20 school days: Ada Lovelace (A801200115001)"
    assert "Monday 7 September 2026 to Friday 2 October 2026" in text.body
    assert "joint enquiries" in text.body and "children missing education" in text.body
