"""Where `make demo` writes: schools of its own (URNs 990101-990199) in an LA of its own (999, a code
no English LA has), so its pupils, alerts, cases and messages never mix with the user's, and an LA
officer's webhook subscriptions (by LA) never receive them."""

from __future__ import annotations

DEMO_LA = "999"
FIRST_URN = 990101
MAX_SCHOOLS = 99


def demo_urns(count: int) -> list[str]:
    """The first `count` demo schools' URNs."""
    if not 1 <= count <= MAX_SCHOOLS:
        raise ValueError(f"the demo has 1 to {MAX_SCHOOLS} schools of its own, not {count}")
    return [str(FIRST_URN + n) for n in range(count)]


def banner(urns: list[str]) -> str:
    """What the demo says before it writes anything."""
    return (
        f"demo: writes its own schools {urns[0]}-{urns[-1]} of LA {DEMO_LA} (never yours; nothing of"
        f" theirs reaches your LAs' webhooks); `make reset` clears all stored data"
    )
