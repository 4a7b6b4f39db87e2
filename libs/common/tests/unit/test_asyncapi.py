"""docs/asyncapi.yaml is generated from the event models: it names every topic and type, every
reference in it resolves, and the committed file is what `make asyncapi` writes today."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from attendance_common.asyncapi import document, render
from attendance_common.events import EVENT_MODELS, TOPICS, dlq_topic
from attendance_common.events.outward import LA_DATA

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
    assert addresses == set(TOPICS) | {dlq_topic(topic) for topic in TOPICS} | {"attendance.la.{la_code}"}
    messages = {
        name: message
        for name, message in doc["components"]["messages"].items()
        if not name.startswith("La")  # an LA's topic's (below)
    }
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


def test_the_shared_topics_are_internal_and_each_la_reads_its_own_channel_with_scram_over_tls():
    doc = yaml.safe_load(DOC.read_text())
    la = doc["channels"]["attendance-la"]
    assert la["address"] == "attendance.la.{la_code}"
    assert set(la["parameters"]) == {"la_code"}
    assert la["servers"] == [{"$ref": "#/servers/la"}]
    assert "x-internal" not in la
    for name, channel in doc["channels"].items():
        if name != "attendance-la":
            assert channel["x-internal"] is True and {"name": "internal"} in channel["tags"], name
            assert channel["servers"] == [{"$ref": "#/servers/kafka"}], name
    (scheme,) = doc["components"]["securitySchemes"].values()
    assert scheme["type"] == "scramSha512"
    assert doc["servers"]["la"]["protocol"] == "kafka-secure"  # TLS
    assert doc["servers"]["la"]["security"] == [{"$ref": "#/components/securitySchemes/laScramTls"}]
    assert doc["servers"]["kafka"]["x-internal"] is True
    receive = doc["operations"]["receive-attendance-la"]
    assert receive["action"] == "receive" and receive["security"] == doc["servers"]["la"]["security"]


def test_an_las_messages_are_the_types_it_can_be_sent_with_their_thin_payloads():
    doc = yaml.safe_load(DOC.read_text())
    messages = doc["components"]["messages"]
    refs = doc["channels"]["attendance-la"]["messages"]
    assert {messages[name]["name"] for name in refs} == set(LA_DATA)
    for name in refs:
        message = messages[name]
        thin = LA_DATA[message["name"]]
        assert message["payload"] == {"$ref": f"#/components/schemas/{thin.__name__}"}
        assert message["headers"]["properties"]["ce_dataschema"]["const"] == (
            EVENT_MODELS[message["name"]].dataschema()
        )
        assert "ce_traceparent" not in message["headers"]["properties"]
        for example in message["examples"]:
            thin.model_validate(example["payload"])


def test_ce_subject_is_required_on_every_message_and_every_event_has_one():
    doc = yaml.safe_load(DOC.read_text())
    for message in doc["components"]["messages"].values():
        assert "ce_subject" in message["headers"]["required"], message["name"]
    for model in EVENT_MODELS.values():
        examples = model.model_json_schema().get("examples", [])
        for example in examples:
            assert model.model_validate(example).subject(), model.event_type
