"""The e-mail a parent's mail client reads: headers and body survive the trip, in any language."""

from __future__ import annotations

import email
from email import policy

from notifications.delivery.channels import Outgoing, email_message


def outgoing(subject: str, body: str) -> Outgoing:
    return Outgoing(id="d-1", channel="email", address="parent@example.com", recipient_name=None,
                    subject=subject, body=body)  # fmt: skip


def received(message: email.message.Message) -> email.message.EmailMessage:
    """As a mail client parses what was sent."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_a_plain_message_reads_back_as_written():
    mail = received(
        email_message("school@example.org", outgoing("Bo was absent", "Dear parent,\n\nBo was absent.\n"))
    )

    assert (mail["From"], mail["To"], mail["Subject"]) == (
        "school@example.org",
        "parent@example.com",
        "Bo was absent",
    )
    assert mail["Message-ID"] == "<d-1@attendance.notifications>"
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail["Content-Transfer-Encoding"] == "7bit"
    assert mail.get_content() == "Dear parent,\n\nBo was absent.\n"


def test_names_in_any_language_survive_in_subject_and_body():
    body = "Zoë Łukasz-Nguyễn was not in school — this morning.\n"
    mail = received(email_message("school@example.org", outgoing("Zoë was absent – Ysgol Gymraeg", body)))

    assert mail["Subject"] == "Zoë was absent – Ysgol Gymraeg"
    assert mail.get_content() == body
    assert mail.as_bytes().isascii()  # quoted-printable: no server needs 8BITMIME


def test_a_line_break_in_a_subject_cannot_add_a_header():
    mail = received(
        email_message("school@example.org", outgoing("Absent\r\nBcc: someone@evil.example", "Hello\n"))
    )

    assert mail["Bcc"] is None
    assert mail["Subject"] == "Absent Bcc: someone@evil.example"
