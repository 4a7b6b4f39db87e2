"""The README says what api.md says, and a newcomer finds the quick checks at the top."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_database_url_example_is_api_mds():
    # api.md "Running it": `<SERVICE>_DATABASE_URL` (e.g. `REGISTERS_DATABASE_URL=postgresql+asyncpg://...`).
    examples = re.findall(r"`(?:REGISTERS|ALERTS|CASEWORK|NOTIFICATIONS)_DATABASE_URL=([a-z+]+)://", README)
    assert examples and set(examples) == {"postgresql+asyncpg"}


def test_make_test_unit_is_in_the_first_commands_shown():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make test-unit" in first_block
