"""Driving the system over HTTP as its users do: a school's MIS, the LA, parents.

An MIS retries a failed request with the same Idempotency-Key (the system may be mid-restart);
the LA reads alerts, cases and the delivery log; `observe` gathers what the system shows.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from e2e_expect import SUBSCRIBED, AlertKey, Expected
from e2e_school import School
from e2e_stack import Stack

from attendance_common.auth import mint_token
from attendance_common.events.alerts import ALERT_TYPES
from attendance_common.settings import DEVELOPMENT_JWT_SECRET


def token(role: str, **claims: Any) -> dict[str, str]:
    signed = mint_token(
        secret=DEVELOPMENT_JWT_SECRET, sub=f"e2e-{role}", role=role, ttl_seconds=3600, **claims
    )
    return {"Authorization": f"Bearer {signed}"}


class Driver:
    def __init__(self, stack: Stack, school: School, retry_for: float = 120) -> None:
        self.stack = stack
        self.school = school
        self.retry_for = retry_for
        self.mis = token("mis", schools=[school.urn])
        self.la = token("la_officer", la=school.la_code)
        self.http = httpx.Client(timeout=30)

    def call(
        self, method: str, service: str, path: str, headers: dict[str, str], **kw: Any
    ) -> httpx.Response:
        """One request, retried (same body, same Idempotency-Key) while the service is unreachable."""
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                answer = self.http.request(method, self.stack.url(service) + path, headers=headers, **kw)
                if answer.status_code < 500:
                    return answer
                problem = answer.text
            except httpx.TransportError as error:
                problem = repr(error)
            assert time.monotonic() < deadline, f"{method} {path} kept failing: {problem[:300]}"
            time.sleep(0.5)

    def enrol(self, subscribe: bool = True, webhook_url: str | None = None, emerging: bool = False) -> None:
        """The school (registered by an admin), its pupils from the MIS; the LA's webhook subscription."""
        body = {"name": f"School {self.school.urn}", "la_code": self.school.la_code, "phase": "primary"}
        school = f"/v1/schools/{self.school.urn}"
        assert self.call("PUT", "registers", school, token("admin"), json=body).is_success
        for pupil in self.school.pupils:
            path = f"/v1/schools/{self.school.urn}/pupils/{pupil.upn}"
            answer = self.call("PUT", "registers", path, self.mis, json=pupil.body())
            assert answer.status_code in (200, 201), answer.text
        self.switch_alerts(emerging=emerging)
        if subscribe and webhook_url:
            body = {"url": webhook_url, "event_types": list(SUBSCRIBED)}
            answer = self.call("POST", "notifications", "/v1/subscriptions", self.la, json=body)
            assert answer.status_code == 201, answer.text

    def switch_alerts(self, emerging: bool) -> None:
        """Every alert type on at the school's scope, emerging_absence only if asked.

        emerging_absence (api.md Part 2) opens early and closes when persistent absence opens, and a
        cleared alert stops its unsent messages: what reaches the parents then depends on timing,
        which the term's exact counts cannot model. Its own tests (alerts, notifications, casework)
        and the plans story (which waits for the parent's message before the absence deepens) cover
        it; the term keeps to the eight alerts of Part 1 and the 20-day run.
        """
        rules = {"enabled": [kind for kind in ALERT_TYPES if emerging or kind != "emerging_absence"]}
        answer = self.call("PUT", "alerts", f"/v1/rules/school:{self.school.urn}", token("admin"), json=rules)
        assert answer.status_code in (200, 201), answer.text

    def post_marks(self, marks: list[dict[str, object]]) -> dict[str, Any]:
        headers = {**self.mis, "Idempotency-Key": str(uuid.uuid4())}
        path = f"/v1/schools/{self.school.urn}/marks"
        answer = self.call("POST", "registers", path, headers, json={"marks": marks})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post_term(self, between: Callable[[int], None] | None = None) -> Counter[str]:
        """Phase 1, register by register; `between(n)` runs after the n-th register (faults)."""
        totals: Counter[str] = Counter()
        for n, (_, _, marks) in enumerate(self.school.registers()):
            result = self.post_marks(marks)
            totals.update(accepted=result["accepted"], amended=result["amended"])
            totals.update(unchanged=result["unchanged"], rejected=len(result["rejected"]))
            if between:
                between(n)
        return totals

    def pages(self, service: str, path: str, key: str, headers: dict[str, str], **params: Any) -> list[Any]:
        items: list[Any] = []
        after = None
        while True:
            query = {**params, "limit": 1000, **({"after": after} if after else {})}
            answer = self.call("GET", service, path, headers, params=query)
            assert answer.status_code == 200, answer.text
            items += answer.json()[key]
            after = answer.json().get("next")
            if not after:
                return items

    def observe(self) -> Observed:
        urn = self.school.urn
        return Observed(
            alerts=self.pages("alerts", "/v1/alerts", "alerts", self.la, school=urn, status="all"),
            cases=self.pages("casework", "/v1/cases", "cases", self.la, school=urn),
            deliveries=self.pages("notifications", "/v1/notifications", "notifications", self.la, school=urn),
        )


@dataclass
class Observed:
    alerts: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]

    def alert_keys(self, status: str = "all") -> Counter[AlertKey]:
        """Counter, not set: an alert raised twice must show up as 2."""
        return Counter(
            (a["type"], a["upn"], a["date"]) for a in self.alerts if status == "all" or a["status"] == status
        )

    def case_shapes(self) -> Counter[tuple[str, frozenset[str], tuple[tuple[str, int], ...]]]:
        return Counter(
            (
                c["stage"],
                frozenset(p["upn"] for p in c["pupils"]),
                tuple(sorted(Counter(r["reason"] for r in c["referrals"]).items())),
            )
            for c in self.cases
        )

    def delivery_counts(self) -> Counter[tuple[str, str, str, str]]:
        return Counter(
            (d["trigger"], d["channel"], d["recipient"]["kind"], d["status"]) for d in self.deliveries
        )


def expected_case_shapes(
    expected: Expected,
) -> Counter[tuple[str, frozenset[str], tuple[tuple[str, int], ...]]]:
    return Counter(
        (stage, frozenset(upns), tuple(sorted(referrals.items())))
        for stage, upns, referrals in expected.cases.values()
    )


def settled(observed: Observed, expected: Expected) -> bool:
    return (
        observed.alert_keys() == Counter(expected.alerts)
        and observed.alert_keys("open") == Counter(expected.open)
        and observed.case_shapes() == expected_case_shapes(expected)
        and observed.delivery_counts() == expected.deliveries
    )


def wait_for(
    driver: Driver, expected: Expected, timeout: float = 240, also: Callable[[], bool] | None = None
) -> Observed:
    """Poll until the system shows exactly what must follow, or the deadline; returns the last look."""
    deadline = time.monotonic() + timeout
    while True:
        driver.stack.check_alive()
        observed = driver.observe()
        if settled(observed, expected) and (also is None or also()):
            return observed
        if time.monotonic() > deadline:
            return observed
        time.sleep(1)
