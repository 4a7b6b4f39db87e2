"""The README's "Where each rule lives" table stays true: every module it names imports, and every
name it gives (`module.name`) is in that module."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## Where each rule lives"


def table_rows() -> list[tuple[str, list[str]]]:
    """(rule, the dotted names of its `where` cell) for each row of the table."""
    text = README.read_text()
    assert HEADING in text, f"README.md has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 2 or cells[0] in ("rule", "---"):
            continue
        rows.append((cells[0], re.findall(r"`([^`]+)`", cells[1])))
    return rows


def resolve(dotted: str) -> object:
    """The module `dotted` names, or the attribute of the longest importable module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(dotted)


def test_the_table_names_where_each_rule_lives():
    rows = table_rows()
    assert len(rows) >= 10
    assert all(names for _, names in rows), [rule for rule, names in rows if not names]


@pytest.mark.parametrize(("rule", "names"), table_rows(), ids=[rule[:40] for rule, _ in table_rows()])
def test_each_named_module_and_name_exists(rule: str, names: list[str]):
    for dotted in names:
        found = resolve(dotted)
        assert found is not None, dotted
        if "." in dotted and not isinstance(found, ModuleType):
            module, name = dotted.rsplit(".", 1)
            assert name in vars(importlib.import_module(module)), f"{dotted}: not defined in {module}"
