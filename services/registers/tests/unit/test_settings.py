"""Registers settings refuse a batch size its events could not carry."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from registers.settings import Settings


def test_more_marks_per_event_than_an_event_carries_is_refused_at_start():
    with pytest.raises(ValidationError):
        Settings(marks_per_event=10_001)

    assert Settings(marks_per_event=10_000).marks_per_event == 10_000
