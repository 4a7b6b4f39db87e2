"""How every benchmark reports: a table for people, then one JSON line for tools."""

from __future__ import annotations

import json
from typing import Any


def print_figures(figures: dict[str, Any]) -> None:
    print(f"\n{'figure':36} value")
    for name, value in figures.items():
        if isinstance(value, dict) and all(isinstance(lines, list) for lines in value.values()):
            print(name)  # a profile: a few lines for each part
            for part, lines in value.items():
                print(f"  {part}")
                for line in lines:
                    print(f"    {line}")
            continue
        print(f"{name:36} {value}")
    print(json.dumps(figures))
