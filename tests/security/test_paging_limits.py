"""Every list endpoint pages (api.md conventions): `limit` capped at 1000 and an `after` cursor."""

from __future__ import annotations

from typing import Any

import pytest
from security_routes import EXPECTED

pytestmark = pytest.mark.integration


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def list_operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """GET operations whose answer is a page (has a `next` cursor)."""
    found = {}
    for path, methods in document["paths"].items():
        get = methods.get("get")
        if not get:
            continue
        content = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if "next" in _resolve(content.get("schema", {}), document).get("properties", {}):
            found[path] = get
    return found


@pytest.mark.parametrize("service", EXPECTED)
async def test_every_list_endpoint_takes_a_capped_limit_and_a_cursor(stack, service):
    document = stack.apps[service].openapi()
    operations = list_operations(document)

    for path, operation in operations.items():
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        assert {"limit", "after"} <= set(parameters), path
        limit = parameters["limit"]["schema"]
        assert limit.get("maximum") == 1000 and limit.get("default") == 100, (path, limit)


async def test_a_limit_over_the_cap_is_a_422_problem(stack):
    from security_world import ADMIN

    answer = await stack.clients["alerts"].get("/v1/alerts", params={"limit": 1001}, headers=ADMIN)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
