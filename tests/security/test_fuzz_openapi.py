"""Schemathesis against each service's own OpenAPI document, over real HTTP, on a seeded world (fuzz_world.py:
the school, its pupils' UPNs, requests, alerts, cases, legal actions and subscriptions, with a token per
role): no 5xx, every error a problem with a code.

`FUZZ_CASES` bounds the requests per service (default 120, as CI runs it), split over its operations and over
valid (positive) and invalid (negative) requests. Runs are derandomised, so CI sees the same cases each time;
`FUZZ_RANDOM=1` explores new ones. For a deep run with a table per service: tests/security/fuzz_deep.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fuzz_world import SERVICES, Served, fuzz, served_world

from attendance_common.testing.databases import TestDatabases

pytestmark = pytest.mark.integration

CASES_PER_SERVICE = int(os.environ.get("FUZZ_CASES", "120"))


@pytest.fixture(scope="module")
def world(test_databases: TestDatabases) -> Iterator[dict[str, Served]]:
    with served_world(test_databases) as served:
        yield {target.service: target for target in served}


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors_and_every_error_is_a_problem(world, service, record_property):
    derandomize = os.environ.get("FUZZ_RANDOM") != "1"

    outcome = fuzz(world[service], budget=CASES_PER_SERVICE, derandomize=derandomize)

    record_property(f"fuzzed_{service}", outcome.requests)
    statuses = dict(sorted(outcome.by_status.items()))
    print(f"\nfuzzed {service}: {outcome.requests} requests, statuses {statuses}")
    assert outcome.requests >= CASES_PER_SERVICE // 4, f"only {outcome.requests} cases ran"
    successes = sum(n for status, n in outcome.by_status.items() if status < 300)
    assert successes >= outcome.requests // 10, "the seeded ids should get many requests past the 404s"
    failures = [f.line() for f in outcome.server_errors + outcome.not_problems]
    assert not failures, "\n".join(sorted(set(failures))[:30])
