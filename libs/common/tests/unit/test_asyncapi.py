"""docs/asyncapi.yaml is generated from the event models: it names every topic and type, every
reference in it resolves, and the committed file is what `make asyncapi` writes today."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from attendance_common.asyncapi import document, render
from attendance_common.events import EVENT_MODELS, TOPICS, dlq_topic

DOC = Path(__file__).resolve().parents[4] / "docs" / "asyncapi.yaml"


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            ref for key, value in node.items() for ref in ([value] if key == "$ref" else references(value))
        ]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_committed_document_is_what_make_asyncapi_writes():
    assert DOC.read_text() == render(), "docs/asyncapi.yaml is stale: run `make asyncapi`"


def test_every_topic_its_dlq_and_every_event_type_are_described():
    doc = yaml.safe_load(DOC.read_text())
    assert doc["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert addresses == set(TOPICS) | {dlq_topic(topic) for topic in TOPICS}
    messages = doc["components"]["messages"]
    assert {message["name"] for message in messages.values()} == set(EVENT_MODELS)
    for message in messages.values():
        model = EVENT_MODELS[message["name"]]
        assert message["headers"]["properties"]["ce_type"] == {"const": model.event_type}
        assert message["payload"] == {"$ref": f"#/components/schemas/{model.__name__}"}
        for example in message["examples"]:
            model.model_validate(example["payload"])


def test_every_reference_resolves():
    doc = document()
    assert [ref for ref in references(doc) if not resolve(doc, ref)] == []
