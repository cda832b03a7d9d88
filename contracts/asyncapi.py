"""The AsyncAPI 3.0 document of every topic, generated from the code.

A municipality's BI team (or any partner) reads it to subscribe without asking us: which topics
exist, who publishes on each, what the Kafka key is, which CloudEvents headers every message
carries, and the JSON Schema of each payload. Every service serves it at ``GET /asyncapi.json``;
``python -m contracts.asyncapi`` prints it.

Everything comes from ``contracts/``: the topics from :mod:`contracts.topics`, the messages from
:data:`contracts.events.EVENT_TYPES` (each class's ``ce_type``, ``topic``, docstring and pydantic
JSON Schema), the headers from :mod:`contracts.envelope`. Only what the code cannot say itself
(the producer of a topic and what its key is, as in ARCHITECTURE.md) is written down here, in
:data:`TOPICS`; a test checks it covers every topic.

The document describes the platform as one application: ``send`` operations for topics a
Samenloket service publishes, ``receive`` for the inbound topic partner systems publish on.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

from pydantic.json_schema import models_json_schema

from contracts import topics
from contracts.envelope import CONTENT_TYPE, SPECVERSION
from contracts.events import EVENT_TYPES, Event

ASYNCAPI_VERSION = "3.0.0"
#: The version of the AsyncAPI Kafka bindings used (https://github.com/asyncapi/bindings/tree/master/kafka).
KAFKA_BINDING_VERSION = "0.5.0"
#: Where payload schemas live in the document.
SCHEMA_REF = "#/components/schemas/{model}"
#: The producer of topics that partner systems publish on (not a Samenloket service).
PARTNER_SYSTEMS = "partner systems"

Document = dict[str, Any]


@dataclass(frozen=True)
class Topic:
    """What the code does not say about a topic: who publishes on it and what its key is."""

    producer: str
    key: str
    summary: str
    readers: str = "any authorised consumer (Kafka ACLs decide)."


#: One entry per topic of :data:`contracts.topics.ALL_TOPICS` (binding, see ARCHITECTURE.md).
TOPICS: dict[str, Topic] = {
    topics.REFERRALS_INBOUND: Topic(
        PARTNER_SYSTEMS,
        "the partner's own reference",
        "Partner systems refer residents to the one door.",
        readers="intake only: this topic carries personal data (ACLs allow no other reader).",
    ),
    topics.QUESTIONS: Topic("intake", "question id", "Questions received at the one door."),
    topics.SUPPORTERS: Topic("matching", "supporter id", "Supporters in the regional pool and their profiles."),
    topics.ASSIGNMENTS: Topic(
        "matching", "question id", "Matching outcomes: assignments, waiting, consultation, acceptance, end."
    ),
    topics.NOTIFICATIONS: Topic("notifications", "notification id", "Whether a notification was delivered."),
    topics.REFERRALS_STATUS: Topic(
        "intake",
        "the partner's own reference (the question id when there is none)",
        "Status changes of referred questions, for the referring partner (closed loop).",
    ),
    topics.SIGNALS: Topic("intake", "signal id", "Systemic problems signalled to the municipality, and its replies."),
    topics.EXPERIENCES: Topic(
        "intake",
        "experience id (meeting id for council meetings, advice id for advices)",
        "Residents' experiences, client council meetings and councils' advices with their outcome.",
    ),
    topics.PRIVACY: Topic("intake", "resident ref", "Erasure of a resident's personal data in every service."),
    topics.STATISTICS: Topic(
        "reporting",
        "area: a CBS municipality code, or `region`",
        "Figures per municipality and period after small-number suppression.",
    ),
}


# --- building blocks -------------------------------------------------------------------------------


def channel_id(topic: str) -> str:
    """``samenloket.referrals.inbound`` → ``referrals-inbound`` (AsyncAPI ids allow no dots)."""
    return topic.removeprefix("samenloket.").replace(".", "-")


def operation_id(topic: str) -> str:
    action = "receive" if TOPICS[topic].producer == PARTNER_SYSTEMS else "send"
    words = channel_id(topic).split("-")
    return action + "".join(w.capitalize() for w in words)


def _docs(cls: type) -> str:
    """A class docstring as CommonMark (reStructuredText ````code```` becomes ```code```)."""
    return inspect.cleandoc(cls.__doc__ or "").replace("``", "`")


def _title(name: str) -> str:
    """``QuestionReceived`` → ``Question received``."""
    words = re.findall(r"[A-Z][a-z]*", name)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else name


def headers_schema(event: type[Event], topic: Topic) -> dict[str, Any]:
    """The CloudEvents 1.0 binary-mode headers of ``event`` (see ``contracts/envelope.py``)."""
    source_examples = ["/partner/wijkteam"] if topic.producer == PARTNER_SYSTEMS else [f"/samenloket/{topic.producer}"]
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in Kafka binary mode; header values are UTF-8 text.",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": SPECVERSION},
            "ce_id": {
                "type": "string",
                "format": "uuid",
                "description": "Unique per event: skip a message whose ce_id you processed before (redelivery).",
            },
            "ce_source": {"type": "string", "description": "Who published the event.", "examples": source_examples},
            "ce_type": {"type": "string", "const": event.ce_type},
            "ce_time": {"type": "string", "format": "date-time", "description": "When it happened (RFC 3339)."},
            "ce_subject": {"type": "string", "description": f"The aggregate id, equal to the Kafka key: {topic.key}."},
            "ce_municipality": {
                "type": "string",
                "description": "CBS municipality code the event belongs to, when it belongs to one.",
                "examples": ["GM0505"],
            },
            "content-type": {"type": "string", "const": CONTENT_TYPE},
            "traceparent": {
                "type": "string",
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "W3C trace context.",
            },
        },
    }


def message(event: type[Event], payload_ref: dict[str, Any]) -> dict[str, Any]:
    topic = TOPICS[event.topic]
    result: dict[str, Any] = {
        "name": event.__name__,
        "title": _title(event.__name__),
        "contentType": CONTENT_TYPE,
        "headers": headers_schema(event, topic),
        "payload": payload_ref,
        "correlationId": {
            "description": f"The aggregate id ({topic.key}); events of one aggregate keep their order.",
            "location": "$message.header#/ce_subject",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": topic.key},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "x-ce-type": event.ce_type,
    }
    if docs := _docs(event):
        result["summary"] = docs.split("\n\n")[0].replace("\n", " ")
        result["description"] = docs
    return result


def payload_schemas() -> tuple[dict[type[Event], dict[str, Any]], dict[str, Any]]:
    """(event class → ``$ref`` to its payload schema, every schema by name for ``components``)."""
    refs, top = models_json_schema([(cls, "validation") for cls in EVENT_TYPES], ref_template=SCHEMA_REF)
    return {cls: refs[(cls, "validation")] for cls in EVENT_TYPES}, top.get("$defs", {})


def channel(topic: str, events: list[type[Event]]) -> dict[str, Any]:
    info = TOPICS[topic]
    return {
        "address": topic,
        "title": topic,
        "summary": info.summary,
        "description": (
            f"Published by {info.producer}. Kafka key: {info.key}; order holds per key. "
            f"Who may read it: {info.readers} Messages that cannot be processed go to `{topics.dlq(topic)}`."
        ),
        "messages": {cls.__name__: {"$ref": f"#/components/messages/{cls.__name__}"} for cls in events},
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        "x-producer": info.producer,
    }


def operation(topic: str, events: list[type[Event]]) -> dict[str, Any]:
    info = TOPICS[topic]
    cid = channel_id(topic)
    receives = info.producer == PARTNER_SYSTEMS
    who = "Partner systems publish" if receives else f"{info.producer.capitalize()} publishes"
    return {
        "action": "receive" if receives else "send",
        "channel": {"$ref": f"#/channels/{cid}"},
        "title": f"{who} on {topic}",
        "summary": info.summary,
        "messages": [{"$ref": f"#/channels/{cid}/messages/{cls.__name__}"} for cls in events],
    }


def _version() -> str:
    try:
        return metadata.version("samenloket")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "0.0.0"


DESCRIPTION = """\
Every event of Samenloket, the region's one door for independent client support.

Each message is a CloudEvent 1.0 in Kafka *binary mode*: the JSON payload is the message value and
the attributes are headers (`ce_id`, `ce_type`, `ce_subject`, ...). The Kafka key is the aggregate
id, so events of one question (or signal, supporter, ...) arrive in order. Readers must ignore
payload fields and code values they do not know: optional fields may be added without notice;
anything else gets a new major version (`.v2` in `ce_type`).

Shared topics carry no personal data (no names, contact details, birth dates, BSN or free text).
Ask your operator for the broker address and credentials; consumer groups should read from
`earliest`. Figures for outside use are on `samenloket.statistics`, already suppressed below the
small-number threshold.
"""


# --- the document ----------------------------------------------------------------------------------


def document() -> Document:
    """The AsyncAPI 3.0 document of all topics (a fresh dict; see :func:`cached_document`)."""
    missing = [t for t in topics.ALL_TOPICS if t not in TOPICS]
    if missing:
        raise ValueError(f"contracts.asyncapi.TOPICS does not describe topic(s) {missing}")
    refs, schemas = payload_schemas()
    by_topic: dict[str, list[type[Event]]] = {topic: [] for topic in topics.ALL_TOPICS}
    for cls in EVENT_TYPES:
        by_topic[cls.topic].append(cls)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:nl:samenloket:events",
        "info": {"title": "Samenloket events", "version": _version(), "description": DESCRIPTION},
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The region's Kafka cluster; your operator gives you the address and credentials.",
                "variables": {"bootstrap": {"description": "Bootstrap servers, host:port."}},
            }
        },
        "channels": {channel_id(t): channel(t, by_topic[t]) for t in topics.ALL_TOPICS},
        "operations": {operation_id(t): operation(t, by_topic[t]) for t in topics.ALL_TOPICS},
        "components": {
            "schemas": schemas,
            "messages": {cls.__name__: message(cls, refs[cls]) for cls in EVENT_TYPES},
        },
    }


@cache
def cached_text() -> str:
    """The document as JSON text, built once per process (what the services serve)."""
    return json.dumps(document(), ensure_ascii=False, sort_keys=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contracts.asyncapi", description="Print the AsyncAPI 3.0 document of all topics."
    )
    parser.add_argument("--compact", action="store_true", help="one line instead of indented JSON")
    args = parser.parse_args(argv)
    print(json.dumps(document(), ensure_ascii=False, indent=None if args.compact else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
