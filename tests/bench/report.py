"""How every benchmark reports: a table for people, then one JSON line for tools."""

from __future__ import annotations

import json
from typing import Any


def print_figures(figures: dict[str, Any]) -> None:
    print(f"\n{'figure':36} value")
    for name, value in figures.items():
        print(f"{name:36} {value}")
    print(json.dumps(figures))
