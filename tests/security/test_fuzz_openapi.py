"""Schemathesis against each service's own OpenAPI document, over real HTTP: no 5xx, every error a problem.

`FUZZ_CASES` bounds the cases per service (default 200, as CI runs it; `FUZZ_CASES=2000` on demand), split
over its operations and over valid (positive) and invalid (negative) requests. Runs are derandomised, so
CI sees the same cases each time; `FUZZ_RANDOM=1` explores new ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from security_servers import serve
from security_world import ADMIN

from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS

pytestmark = pytest.mark.integration

SERVICES = ("registers", "alerts", "casework", "notifications")
CASES_PER_SERVICE = int(os.environ.get("FUZZ_CASES", "200"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=SERVICES)
def served(request, test_databases: TestDatabases, kafka_bootstrap: str) -> Iterator[tuple[str, str]]:
    service = request.param
    main = __import__(f"{service}.main", fromlist=["create_app"])
    settings_class = __import__(f"{service}.settings", fromlist=["Settings"]).Settings
    app_settings = settings_class(
        database_url=test_databases.create(f"fuzz_{service}"),
        kafka_bootstrap_servers=kafka_bootstrap,
        write_rate_per_second=0,  # the fuzzer writes as one admin, far faster than any client
        **TEST_KAFKA_SETTINGS,
    )
    with serve(main.create_app(app_settings)) as base_url:
        yield service, base_url


def _content_type(response: schemathesis.Response) -> str:
    for name, values in response.headers.items():
        if name.lower() == "content-type":
            return values[0] if isinstance(values, list) else str(values)
    return ""


def _problems(response: schemathesis.Response) -> str | None:
    """Why this answer breaks the contract, or None."""
    if response.status_code >= 500:
        return f"server error {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        if not _content_type(response).startswith(PROBLEM):
            return f"{response.status_code} is not a problem: {_content_type(response)}"
        if not isinstance(response.json().get("code"), str):
            return f"{response.status_code} problem without a code: {response.text[:300]}"
    return None


def fuzz(base_url: str, cases: int) -> tuple[int, list[str]]:
    """Run about `cases` generated requests over every operation; return how many ran and what failed."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    per_strategy = max(1, -(-cases // (len(operations) * len(MODES))))  # rounded up
    session = requests.Session()
    outcomes: list[str | None] = []  # one per request sent: None, or what was wrong

    def check(case: Any) -> None:
        try:
            response = case.call(base_url=base_url, session=session, headers=ADMIN, timeout=60)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
            return  # not sendable over HTTP at all (e.g. a header with a newline)
        why = _problems(response)
        outcomes.append(f"{case.method} {case.formatted_path}: {why}" if why else None)

    for operation in operations:
        for mode in MODES:
            run = given(case=operation.as_strategy(generation_mode=mode))(check)
            run = settings(
                max_examples=per_strategy,
                deadline=None,
                database=None,
                derandomize=os.environ.get("FUZZ_RANDOM") != "1",
                suppress_health_check=list(HealthCheck),
            )(run)
            try:
                run()
            except Unsatisfiable:
                continue  # nothing to make invalid (e.g. GET /healthz has no parameters)
    return len(outcomes), [why for why in outcomes if why]


def test_no_server_errors_and_every_error_is_a_problem(served, record_property):
    service, base_url = served

    ran, failures = fuzz(base_url, CASES_PER_SERVICE)

    record_property(f"fuzzed_{service}", ran)
    print(f"\nfuzzed {service}: {ran} requests, {len(failures)} failures")
    assert ran >= CASES_PER_SERVICE // 4, f"only {ran} cases ran"
    assert not failures, "\n".join(sorted(set(failures))[:30])
