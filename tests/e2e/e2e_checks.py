"""The assertions every end-to-end and fault test makes: nothing lost, nothing doubled."""

from __future__ import annotations

from collections import Counter

from e2e_client import Driver, Observed, expected_case_shapes, wait_for
from e2e_expect import Expected, by_type
from e2e_receivers import Mailbox, Webhooks


def sent(expected: Expected, channel: str) -> int:
    return sum(
        n for (_, ch, _, status), n in expected.deliveries.items() if ch == channel and status == "sent"
    )


def webhook_kinds(expected: Expected) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for (trigger, channel, _, status), n in expected.deliveries.items():
        if channel == "webhook" and status == "sent":
            kind = {"referral_made": "attendance.referral.made", "pupil_deleted": "attendance.pupil.deleted"}
            kinds[kind.get(trigger, trigger)] += n
    return kinds


def settle_and_check(
    driver: Driver,
    expected: Expected,
    smtp: Mailbox,
    webhooks: Webhooks,
    *,
    at_least_once: int = 0,
    timeout: float = 180,
) -> Observed:
    """Wait for the system to show what must follow, then compare it all, exactly.

    `at_least_once`: deliveries that may legitimately have gone out twice (a worker killed between
    sending and recording it); they must still be one message, by Message-ID or webhook-id.
    """
    urn = driver.school.urn

    def far_ends_done() -> bool:
        return smtp.distinct(urn) >= sent(expected, "email") and webhooks.kinds(urn) == webhook_kinds(
            expected
        )

    observed = wait_for(driver, expected, timeout=timeout, also=far_ends_done)
    types = by_type(set(observed.alert_keys()))
    assert types == by_type(expected.alerts), diff(types, by_type(expected.alerts))
    assert observed.alert_keys() == Counter(expected.alerts), diff(
        observed.alert_keys(), Counter(expected.alerts)
    )
    assert observed.alert_keys("open") == Counter(expected.open), diff(
        observed.alert_keys("open"), expected.open
    )
    shapes = expected_case_shapes(expected)
    assert observed.case_shapes() == shapes, diff(observed.case_shapes(), shapes)
    assert observed.delivery_counts() == expected.deliveries, diff(
        observed.delivery_counts(), expected.deliveries
    )
    assert smtp.distinct(urn) == sent(expected, "email"), "emails lost or doubled"
    assert webhooks.kinds(urn) == webhook_kinds(expected), "webhooks lost or doubled"
    assert smtp.total(urn) - smtp.distinct(urn) <= at_least_once
    total_hooks = webhooks.total(urn)
    assert total_hooks - sum(webhook_kinds(expected).values()) <= at_least_once
    return observed


def diff(observed: Counter, expected: Counter | set) -> str:  # type: ignore[type-arg]
    """What is missing and what is extra (doubled or unexpected), for the failure message."""
    wanted = Counter(expected)
    missing, extra = sorted((wanted - observed).items())[:20], sorted((observed - wanted).items())[:20]
    return f"missing: {missing}; extra: {extra}"
