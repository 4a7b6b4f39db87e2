"""`python -m attendance_common.asyncapi [PATH]`: the AsyncAPI 3.0 document of every topic and event.

Generated from the pydantic event models (`events.catalog.EVENT_MODELS`), never written by hand:
`make asyncapi` rewrites docs/asyncapi.yaml and a test fails when the committed file is stale.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from attendance_common.events.base import TOPICS, EventData, dlq_topic
from attendance_common.events.catalog import EVENT_MODELS
from attendance_common.events.outward import LA_DATA, LA_GROUP_PREFIX, LA_TOPIC_PREFIX

KAFKA_BINDING = "0.5.0"
# What the models cannot say about their topic: its key and why.
TOPIC_NOTES = {
    "attendance.pupils": (
        "the school's URN for schools, the pupil's UPN for pupils",
        "Schools and pupils as registers holds them; consumers keep their own projection.",
    ),
    "attendance.marks": (
        "the school's URN",
        "Register marks, batched: one event carries up to 1,000 marks of one school "
        "(REGISTERS_MARKS_PER_EVENT), new marks before amendments, in the order sent. Keying by URN "
        "keeps every pupil of a school, so each pupil's marks, on one partition. Measured "
        "(tests/bench/event_shapes.py, docs/events.md): about 9x faster to stage and 50x faster to "
        "relay than one event per pupil, which cannot carry the morning peak.",
    ),
    "attendance.requests": (
        "the pupil's UPN",
        "Families' absence reports and leave requests, as registers holds them: the reason's category, "
        "never the parent's own words.",
    ),
    "attendance.alerts": ("the pupil's UPN", "Alerts raised and cleared, without names or contact details."),
    "attendance.cases": ("the family key", "Casework: cases, their stages, referrals and legal actions."),
    "attendance.notifications": ("the pupil's UPN", "What was sent to whom, and what failed."),
}
DESCRIPTION = """\
Events between the attendance services. Envelope: CloudEvents 1.0 in Kafka binary mode, the
attributes as `ce_*` headers and `data` (the payload below) as the record's JSON value.
`ce_traceparent` carries the W3C trace context from the producer's span to the consumer's.
Delivery is at least once (transactional outbox); consumers apply each `ce_id` once. An event
that still fails after bounded retries goes unchanged to `<topic>.dlq`, with `dlq_error`,
`dlq_consumer`, `dlq_topic`, `dlq_partition` and `dlq_offset` headers added.
A breaking change to a payload gets a new `ce_dataschema` version.

The shared topics are internal: they carry every LA's pupils, and only the services read them.
An LA system reads its own topic, `attendance.la.{la_code}` (the `attendance-la` channel), on
the `la` server: SASL/SCRAM over TLS, with the principal `la-{la_code}`, which may read that
topic alone and use the consumer group `la-{la_code}` alone. Its events keep the envelope of the
internal event they come from and carry thin `data`, as the LA's webhooks do (structured mode)."""
LA_CHANNEL = "attendance-la"
LA_SCHEME = "laScramTls"
LA_ABOUT = (
    "One LA's own topic: the events about pupils of its schools alone (alerts raised and cleared, "
    "referrals to the LA, deletions from roll), with the thin data of the LA's webhooks, written by "
    "notifications and created on an LA's first event. Key: the pupil's UPN (one pupil's events in "
    "order on one partition). An event naming several pupils (a family's referral) comes once per "
    "pupil, each on its own LA's topic with an id of its own. Read by that LA's principal "
    f"(`{LA_GROUP_PREFIX}{{la_code}}`) alone, in its own consumer group (`{LA_GROUP_PREFIX}{{la_code}}`); "
    "deduplicate by `ce_id` (delivery is at least once)."
)
INTERNAL = {"tags": [{"name": "internal"}], "x-internal": True}


def channel_id(topic: str) -> str:
    return topic.replace(".", "-")


def producer_of(model: type[EventData]) -> str:
    return model.__module__.rsplit(".", 1)[-1]


def headers_schema(model: type[EventData]) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_subject",
            "ce_time",
            "content-type",
        ],
        "properties": {
            "ce_specversion": {"const": "1.0"},
            "ce_id": {**text, "description": "UUID; consumers record it to apply the event once"},
            "ce_source": {"const": producer_of(model)},
            "ce_type": {"const": model.event_type},
            "ce_subject": {**text, "description": "the UPN, URN or case id the event is about"},
            "ce_time": {**text, "format": "date-time"},
            "ce_dataschema": {"const": model.dataschema()},
            "ce_traceparent": {**text, "description": "W3C trace context of the producing span"},
            "content-type": {"const": "application/json"},
        },
    }


def message(model: type[EventData], schemas: dict[str, Any]) -> dict[str, Any]:
    doc = inspect.cleandoc(model.__doc__ or model.event_type)
    examples = schemas[model.__name__].get("examples", [])
    key = TOPIC_NOTES[model.topic][0]
    return {
        "name": model.event_type,
        "title": model.__name__,
        "summary": doc.splitlines()[0],
        "description": doc,
        "contentType": "application/json",
        "headers": headers_schema(model),
        "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": key}, "bindingVersion": KAFKA_BINDING}
        },
        "examples": [
            {"name": f"{model.__name__}{n}", "payload": example}
            for n, example in enumerate(examples, start=1)
        ],
    }


def la_message_id(model: type[EventData]) -> str:
    return f"La{model.__name__}"


def la_message(model: type[EventData], thin: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    """The event as an LA's topic carries it: the internal event's envelope, the thin data."""
    doc = inspect.cleandoc(thin.__doc__ or model.event_type)
    headers = headers_schema(model)
    properties = {name: value for name, value in headers["properties"].items() if name != "ce_traceparent"}
    properties["ce_subject"] = {
        "type": "string",
        "description": "the pupil (UPN), or for a referral the case id",
    }
    properties["ce_dataschema"] = {
        "const": model.dataschema(),
        "description": "the version of the internal event this one is cut from",
    }
    return {
        "name": model.event_type,
        "title": f"{model.__name__} (to an LA)",
        "summary": doc.splitlines()[0],
        "description": doc,
        "contentType": "application/json",
        "headers": {**headers, "properties": properties},
        "payload": {"$ref": f"#/components/schemas/{thin.__name__}"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the pupil's UPN"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "examples": [
            {"name": f"{la_message_id(model)}{n}", "payload": example}
            for n, example in enumerate(schemas[thin.__name__].get("examples", []), start=1)
        ],
    }


def la_channel() -> dict[str, Any]:
    refs = {
        la_message_id(EVENT_MODELS[t]): {"$ref": f"#/components/messages/{la_message_id(EVENT_MODELS[t])}"}
        for t in LA_DATA
    }
    return {
        "address": LA_TOPIC_PREFIX + "{la_code}",
        "title": LA_TOPIC_PREFIX + "{la_code}",
        "description": LA_ABOUT + " Produced by notifications.",
        "servers": [{"$ref": "#/servers/la"}],
        "parameters": {
            "la_code": {
                "description": "The LA's 3-digit code (DfE LA number), as schools carry it.",
                "examples": ["380"],
            }
        },
        "messages": refs,
    }


def la_operations() -> dict[str, Any]:
    messages = [
        {"$ref": f"#/channels/{LA_CHANNEL}/messages/{la_message_id(EVENT_MODELS[t])}"} for t in LA_DATA
    ]
    channel = {"$ref": f"#/channels/{LA_CHANNEL}"}
    return {
        f"publish-{LA_CHANNEL}": {
            "action": "send",
            "channel": channel,
            "summary": "notifications publishes to each LA's topic the events about that LA's pupils",
            "messages": messages,
        },
        f"receive-{LA_CHANNEL}": {
            "action": "receive",
            "channel": channel,
            "summary": "an LA system reads its own topic, in its own consumer group",
            "security": [{"$ref": f"#/components/securitySchemes/{LA_SCHEME}"}],
            "bindings": {
                "kafka": {
                    "groupId": {"type": "string", "pattern": f"^{LA_GROUP_PREFIX}[0-9A-Za-z_-]+$"},
                    "clientId": {"type": "string"},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
            "messages": messages,
        },
    }


def document() -> dict[str, Any]:
    models = list(EVENT_MODELS.values())
    thin_models = list(LA_DATA.values())
    _, top = models_json_schema(
        [(model, "serialization") for model in [*models, *thin_models]],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = top["$defs"]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        key, about = TOPIC_NOTES[topic]
        names = [model.__name__ for model in models if model.topic == topic]
        refs = {name: {"$ref": f"#/components/messages/{name}"} for name in names}
        producers = sorted({producer_of(model) for model in models if model.topic == topic})
        channels[channel_id(topic)] = {
            "address": topic,
            "title": topic,
            "description": f"Internal. {about} Key: {key}. Produced by {', '.join(producers)}.",
            "servers": [{"$ref": "#/servers/kafka"}],
            "messages": refs,
            **INTERNAL,
        }
        channels[channel_id(dlq_topic(topic))] = {
            "address": dlq_topic(topic),
            "title": dlq_topic(topic),
            "description": f"Internal. Events of {topic} that a consumer could not apply, with `dlq_*` "
            "headers.",
            "servers": [{"$ref": "#/servers/kafka"}],
            "messages": refs,
            **INTERNAL,
        }
        for address, action in ((topic, "publish"), (dlq_topic(topic), "dead-letter")):
            operations[f"{action}-{channel_id(topic)}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel_id(address)}"},
                "summary": f"{', '.join(producers)} publish to {address}"
                if action == "publish"
                else f"the consumers of {topic} dead-letter to {address}",
                "messages": [{"$ref": f"#/channels/{channel_id(address)}/messages/{name}"} for name in names],
            }
    channels[LA_CHANNEL] = la_channel()
    operations.update(la_operations())
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Attendance platform events", "version": "1.0.0", "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "Internal: the services' listener, on their own network only. Apache Kafka "
                "(KRaft) in production; Tansu locally and in tests.",
                **INTERNAL,
            },
            "la": {
                "host": "kafka.attendance.example:9094",
                "protocol": "kafka-secure",
                "description": "The listener for LA systems: TLS, SASL/SCRAM-SHA-512, one principal per LA "
                "(deploy/README.md, deploy/kafka/la-acls.sh). Its host is the deployment's.",
                "security": [{"$ref": f"#/components/securitySchemes/{LA_SCHEME}"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {
                **{model.__name__: message(model, schemas) for model in models},
                **{
                    la_message_id(EVENT_MODELS[event_type]): la_message(
                        EVENT_MODELS[event_type], thin, schemas
                    )
                    for event_type, thin in LA_DATA.items()
                },
            },
            "schemas": schemas,
            "securitySchemes": {
                LA_SCHEME: {
                    "type": "scramSha512",
                    "description": "SASL/SCRAM-SHA-512 over TLS (the `la` server's `kafka-secure`). One "
                    "principal per LA, `la-{la_code}`, with READ and DESCRIBE on `attendance.la.{la_code}` "
                    "and READ on the consumer group `la-{la_code}`, nothing else (no shared topic).",
                }
            },
        },
    }


def render() -> str:
    import yaml  # a development dependency: only `make asyncapi` and its test render the file

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True  # repeated parts written out in full: no `&id001` anchors to chase

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    Dumper.add_representer(str, text)
    header = "# Generated by `make asyncapi` from the pydantic event models: do not edit.\n"
    return header + yaml.dump(document(), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "docs/asyncapi.yaml")
    path.write_text(render())
    print(f"asyncapi: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
