"""The AsyncAPI 3.0 document: complete, well-formed, and true to what the services really publish.

No AsyncAPI validator (nor the official AsyncAPI JSON Schema) is available offline, so the structure
is checked field by field against the 3.0.0 specification: required fields, id patterns, every
``$ref`` resolving, operations pointing at their channel's messages. The payload and header schemas
are checked with ``jsonschema`` against the contract tests' example of every event, encoded exactly
as the services encode it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from contracts import topics
from contracts.asyncapi import TOPICS, cached_text, channel_id, document
from contracts.envelope import encode, from_model, header_map
from contracts.events import EVENT_TYPES, REGISTRY, Event
from tests.contract.test_envelope import EXAMPLES

#: Keys of channels, operations and components (AsyncAPI 3.0.0 ``components`` patternProperties).
COMPONENT_KEY = re.compile(r"^[\w\d.\-_]+$")


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references expected, got {ref}"
    node: Any = doc
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve (no {part!r})"
        node = node[part]
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def message_of(doc: dict[str, Any], event: type[Event]) -> dict[str, Any]:
    message = doc["components"]["messages"][event.__name__]
    assert isinstance(message, dict)
    return message


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator for ``schema`` whose ``#/components/...`` references resolve inside ``doc``."""
    return jsonschema.Draft202012Validator(
        {**schema, "components": doc["components"]}, format_checker=jsonschema.FormatChecker()
    )


# --- complete -------------------------------------------------------------------------------------


def test_lists_every_topic_with_its_producer_and_key(doc: dict[str, Any]) -> None:
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert addresses == set(topics.ALL_TOPICS)
    assert set(TOPICS) == set(topics.ALL_TOPICS)
    questions = doc["channels"]["questions"]
    assert questions["x-producer"] == "intake"
    assert questions["bindings"]["kafka"]["topic"] == topics.QUESTIONS
    assert doc["channels"]["statistics"]["x-producer"] == "reporting"
    assert doc["channels"]["assignments"]["x-producer"] == "matching"
    assert "samenloket.questions.dlq" in questions["description"]


def test_lists_every_ce_type_on_its_topic(doc: dict[str, Any]) -> None:
    messages = doc["components"]["messages"]
    assert {m["x-ce-type"] for m in messages.values()} == set(REGISTRY)
    for event in EVENT_TYPES:
        channel = doc["channels"][channel_id(event.topic)]
        assert event.__name__ in channel["messages"], f"{event.ce_type} missing from {event.topic}"
        ce_type = message_of(doc, event)["headers"]["properties"]["ce_type"]
        assert ce_type == {"type": "string", "const": event.ce_type}


def test_operations_send_what_the_platform_publishes_and_receive_partner_referrals(doc: dict[str, Any]) -> None:
    operations = doc["operations"]
    assert len(operations) == len(topics.ALL_TOPICS)
    assert operations["receiveReferralsInbound"]["action"] == "receive"
    assert operations["sendQuestions"]["action"] == "send"
    assert operations["sendStatistics"]["title"] == "Reporting publishes on samenloket.statistics"
    for operation in operations.values():
        channel = resolve(doc, operation["channel"]["$ref"])
        channel_messages = [f"{operation['channel']['$ref']}/messages/{name}" for name in channel["messages"]]
        assert [m["$ref"] for m in operation["messages"]] == channel_messages


# --- well-formed (AsyncAPI 3.0.0) -----------------------------------------------------------------


def test_root_and_info_have_the_required_fields(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] and re.fullmatch(r"\d+\.\d+\.\d+.*", doc["info"]["version"])
    allowed = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations", "components"}
    assert set(doc) <= allowed
    server = doc["servers"]["kafka"]
    assert server["protocol"] == "kafka" and server["host"]
    for variable in re.findall(r"{(\w+)}", server["host"]):
        assert variable in server["variables"]


def test_ids_follow_the_spec_and_every_reference_resolves(doc: dict[str, Any]) -> None:
    for section in (doc["channels"], doc["operations"], doc["components"]["messages"], doc["components"]["schemas"]):
        for key in section:
            assert COMPONENT_KEY.match(key), key
    found = list(refs(doc))
    assert len(found) > 50
    for ref in found:
        resolve(doc, ref)


def test_objects_use_only_fields_the_spec_defines(doc: dict[str, Any]) -> None:
    channel_fields = {"address", "messages", "title", "summary", "description", "servers", "parameters", "tags"}
    channel_fields |= {"externalDocs", "bindings"}
    operation_fields = {"action", "channel", "title", "summary", "description", "security", "tags"}
    operation_fields |= {"externalDocs", "bindings", "traits", "messages", "reply"}
    message_fields = {"headers", "payload", "correlationId", "contentType", "name", "title", "summary"}
    message_fields |= {"description", "tags", "externalDocs", "bindings", "examples", "traits", "deprecated"}

    def own(obj: dict[str, Any]) -> set[str]:
        return {k for k in obj if not k.startswith("x-")}

    for channel in doc["channels"].values():
        assert own(channel) <= channel_fields
    for operation in doc["operations"].values():
        assert own(operation) <= operation_fields
        assert operation["action"] in ("send", "receive")
    for message in doc["components"]["messages"].values():
        assert own(message) <= message_fields
        assert message["headers"]["type"] == "object"  # message headers MUST be an object schema
        assert message["correlationId"]["location"].startswith("$message.header#/")
        kafka = message["bindings"]["kafka"]
        assert set(kafka) == {"key", "bindingVersion"} and kafka["key"]["type"] == "string"


def test_document_is_json_and_the_command_prints_it(doc: dict[str, Any]) -> None:
    assert json.loads(cached_text()) == doc
    printed = subprocess.run(
        [sys.executable, "-m", "contracts.asyncapi", "--compact"], capture_output=True, text=True, check=True
    )
    assert json.loads(printed.stdout) == doc


# --- true to what is published --------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENT_TYPES, ids=lambda e: e.__name__)
def test_payload_and_headers_of_a_real_message_match_the_schemas(doc: dict[str, Any], event: type[Event]) -> None:
    example = EXAMPLES[event]
    source = "/partner/wijkteam" if event.topic == topics.REFERRALS_INBOUND else "/samenloket/intake"
    key, value, headers = encode(
        from_model(example, source=source, traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    )
    message = message_of(doc, event)

    payload = json.loads(value)
    validator(doc, message["payload"]).validate(payload)
    validator(doc, message["headers"]).validate(header_map(headers))
    assert key.decode() == header_map(headers)["ce_subject"]  # the key is the aggregate id, as documented


def test_payload_schemas_refuse_what_readers_refuse(doc: dict[str, Any]) -> None:
    from contracts.events import QuestionReceived

    payload = EXAMPLES[QuestionReceived].model_dump(mode="json")
    check = validator(doc, message_of(doc, QuestionReceived)["payload"])
    for broken in ({k: v for k, v in payload.items() if k != "question_id"}, {**payload, "life_domains": ["moon"]}):
        assert not check.is_valid(broken)
    wrong_type = validator(doc, message_of(doc, QuestionReceived)["headers"])
    headers = header_map(encode(from_model(EXAMPLES[QuestionReceived], source="/samenloket/intake"))[2])
    assert not wrong_type.is_valid({**headers, "ce_type": "nl.samenloket.question.withdrawn.v1"})


def test_no_personal_data_in_the_document(doc: dict[str, Any]) -> None:
    """Only schemas and descriptions: no example holds an e-mail address, phone number or BSN."""
    text = json.dumps(doc)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert not re.search(r"(?<![\w-])\d{9,}(?![\w-])", text)
    assert "A. de Vries" not in text
