"""docs/events.md names every event type the platform has, until the AsyncAPI document replaces it."""

from pathlib import Path

from attendance_common.events import EVENT_MODELS

DOC = Path(__file__).resolve().parents[4] / "docs" / "events.md"


def test_every_event_type_is_documented():
    text = DOC.read_text()
    assert [t for t in EVENT_MODELS if f"`{t}`" not in text] == []
