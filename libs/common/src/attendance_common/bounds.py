"""How long free text and how many list items the API and the events take (a longer value is a 422).

One table for both, so every value an API accepts fits the events it causes, and every value an
event carries fits the columns its consumers keep it in (e.g. notifications' contact phone).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

NAME_LENGTH = 200  # a school's, a contact's or a social worker's name
PUPIL_NAME_LENGTH = 100  # given and family names: every service keeps them in 100 characters
EMAIL_LENGTH = 254  # the longest address SMTP can carry (RFC 5321 path, less its brackets)
PHONE_LENGTH = 40  # as notifications stores it: ample for any number and its punctuation
LABEL_LENGTH = 100  # a contact's relationship, a contact id
CODE_LENGTH = 50  # an identifier or a word from a fixed list, as sent (checked after)
REGISTER_NOTE_LENGTH = 1_000  # a deletion note, an amendment's reason, an acknowledgement (api.md)
TEXT_LENGTH = 2_000  # any other note, reason or description
SHORT_TEXT_LENGTH = 200  # a reason the system writes (a referral's, a clearance's)
URL_LENGTH = 500  # a webhook URL, as notifications stores it

CONTACTS = 20
MARKS = 10_000  # api.md: "Up to 10,000 marks a request"; an event carries at most a request's
FAMILY = 1_000  # pupils in one family's case: far beyond any family, short of a runaway shared email
EVIDENCE_MARKS = 1_000  # two sessions a day for a year at most
FEW = 50  # lists of words from a fixed list (alert types, event types, channels)

# The dates a pupil's record or a period may name: far past any register, and clear of the ends of the
# calendar, where the month after a date or a penalty window before it does not exist (the fuzzer's 500s).
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)

Name = Annotated[str, Field(max_length=NAME_LENGTH)]
Email = Annotated[str, Field(max_length=EMAIL_LENGTH)]
Phone = Annotated[str, Field(max_length=PHONE_LENGTH)]
Label = Annotated[str, Field(max_length=LABEL_LENGTH)]
Code = Annotated[str, Field(max_length=CODE_LENGTH)]
RegisterNote = Annotated[str, Field(max_length=REGISTER_NOTE_LENGTH)]
Text = Annotated[str, Field(max_length=TEXT_LENGTH)]
ShortText = Annotated[str, Field(max_length=SHORT_TEXT_LENGTH)]
Day = Annotated[dt.date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
