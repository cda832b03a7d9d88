"""Every request model of every service's API is bounded and refuses control characters.

Walks the request bodies of the four services' OpenAPI (what a client may send): every string must
have a maximum length (or be an enum, a constant, a bounded pattern or a self-bounded format such
as a date), every array a maximum number of items, every map a maximum number of keys. And every
body model, with the models inside it, checks its text for control characters (contracts.text).
"""

from __future__ import annotations

import inspect
import re
import tempfile
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from contracts.text import CleanText
from services.kit.runtime import create_app, load_spec
from services.kit.settings import SERVICE_NAMES, Settings

#: Formats whose values are bounded by their parser (dates, UUIDs; an e-mail address by email-validator).
BOUNDED_FORMATS = {"date", "date-time", "time", "duration", "uuid", "email"}
#: Fields of the binding contract (contracts/schemas/question-submission.json) whose schema may not be
#: tightened without a new major version; their validators bound them to a closed list already.
CONTRACT_CODES = {
    ("POST /api/v1/questions", "municipality"): "check_municipality: one of the region's CBS codes",
    ("POST /api/v1/questions", "languages[]"): "check_languages: one of contracts.codes.LANGUAGES",
}


@cache
def app_of(name: str) -> FastAPI:
    settings = Settings(
        database_url="postgresql://u@127.0.0.1/x",
        kafka_bootstrap_servers="127.0.0.1:1",
        data_dir=Path(tempfile.mkdtemp(prefix="request-models-")),
    )
    return create_app(load_spec(name), settings)


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from _routes(route.routes)


def _models_in(annotation: Any, found: set[type[BaseModel]]) -> None:
    stack = [annotation]
    while stack:
        current = stack.pop()
        if inspect.isclass(current) and issubclass(current, BaseModel):
            if current not in found:
                found.add(current)
                stack.extend(field.annotation for field in current.model_fields.values())
        else:
            stack.extend(typing.get_args(current))


def body_models() -> dict[str, set[type[BaseModel]]]:
    """``"<service> <METHOD> <path>"`` → the body's model and every model inside it."""
    result: dict[str, set[type[BaseModel]]] = {}
    for name in SERVICE_NAMES:
        for route in _routes(app_of(name).routes):
            for param in route.dependant.body_params:
                found: set[type[BaseModel]] = set()
                _models_in(param.field_info.annotation, found)
                for method in sorted(route.methods):
                    result[f"{name} {method} {route.path}"] = found
    return result


def _bounded_pattern(pattern: str) -> bool:
    return pattern.startswith("^") and pattern.endswith("$") and not re.search(r"(?<!\\)[*+]|\{\d+,\}", pattern)


def unbounded(schema: dict[str, Any], defs: dict[str, Any], path: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The paths inside ``schema`` of strings, arrays and maps without an upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else unbounded(defs[name], defs, path, seen | {name})
    problems = [
        p
        for key in ("anyOf", "oneOf", "allOf")
        for sub in schema.get(key, [])
        for p in unbounded(sub, defs, path, seen)
    ]
    kind = schema.get("type")
    if kind == "string":
        bounded = (
            "maxLength" in schema
            or "enum" in schema
            or "const" in schema
            or schema.get("format") in BOUNDED_FORMATS
            or _bounded_pattern(schema.get("pattern", ""))
        )
        if not bounded:
            problems.append(f"{path} (string)")
    elif kind == "array":
        if "maxItems" not in schema:
            problems.append(f"{path} (array)")
        problems += unbounded(schema.get("items", {}), defs, f"{path}[]", seen)
    elif kind == "object" or "properties" in schema:
        for key, sub in schema.get("properties", {}).items():
            problems += unbounded(sub, defs, f"{path}.{key}" if path else key, seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                problems.append(f"{path} (map)")
            problems += unbounded(extra, defs, f"{path}{{}}", seen)
    return problems


def request_bodies() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(service, "METHOD path", body schema, the OpenAPI's shared schemas) of every request body."""
    bodies = []
    for name in SERVICE_NAMES:
        document = app_of(name).openapi()
        defs = document.get("components", {}).get("schemas", {})
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    bodies.append((name, f"{method.upper()} {path}", content["schema"], defs))
    return bodies


def test_the_walk_finds_the_request_bodies_of_every_service_with_an_api() -> None:
    routes = {route for _, route, _, _ in request_bodies()}
    assert {"POST /api/v1/questions", "PUT /api/v1/webhooks", "POST /api/v1/supporters"} <= routes
    assert len(routes) >= 12


@pytest.mark.parametrize(
    ("service", "route", "schema", "defs"),
    [pytest.param(*body, id=f"{body[0]} {body[1]}") for body in request_bodies()],
)
def test_every_string_array_and_map_of_a_request_is_bounded(
    service: str, route: str, schema: dict[str, Any], defs: dict[str, Any]
) -> None:
    problems = [p for p in unbounded(schema, defs, "") if (route, p.split(" ")[0]) not in CONTRACT_CODES]
    assert problems == [], f"{service} {route}: give these a max_length / max items: {problems}"


def test_the_walk_catches_a_missing_bound() -> None:
    class Loose(BaseModel):
        text: str
        tags: list[str]

    assert unbounded(Loose.model_json_schema(), {}, "") == ["text (string)", "tags (array)", "tags[] (string)"]


@pytest.mark.parametrize(("route", "models"), [pytest.param(r, m, id=r) for r, m in sorted(body_models().items())])
def test_every_request_model_refuses_control_characters(route: str, models: set[type[BaseModel]]) -> None:
    loose = sorted(m.__qualname__ for m in models if not issubclass(m, CleanText))
    assert loose == [], f"{route}: base these on contracts.text.CleanText: {loose}"
