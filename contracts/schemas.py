"""Generated JSON Schemas of the event payloads, and the compatibility rules they are held to.

The schemas in ``contracts/schemas/`` are checked in: they are what partner systems and other
consumers read, and they are the baseline a changed payload class is compared against.

    python -m contracts.schemas            # regenerate (refuses breaking changes, see below)
    python -m contracts.schemas --check    # exit 1 listing stale files (CI)

One file per event, named after its ``ce_type`` (``nl.samenloket.question.received.v1.json``),
carrying ``x-topic`` and ``x-ce-type``; plus ``question-submission.json`` for the HTTP body of
``POST /api/v1/questions`` (carrying ``x-endpoint`` instead, since it is not an event).

Regenerating overwrites the baseline, which would silently make any change "compatible". So the
write command first runs :func:`compatibility` and refuses to overwrite a schema with a breaking
change unless given ``--allow-breaking`` (meant only for events that were never published). It
never deletes a schema whose class is gone: retiring an event is done by deleting its file by hand,
so that the removal is a deliberate, reviewed act.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.events import EVENT_TYPES, QuestionSubmission

#: Where the checked-in schemas live.
SCHEMA_DIR = Path(__file__).with_name("schemas")
#: The file holding the schema of ``QuestionSubmission``.
SUBMISSION_FILE = "question-submission.json"
SUBMISSION_ENDPOINT = "POST /api/v1/questions"
#: The command that regenerates the checked-in schemas (quoted in failure messages).
REGENERATE_COMMAND = "python -m contracts.schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_VERSIONED_FILE = re.compile(r"^(?P<ce_type>.+\.v[0-9]+)\.json$")

Schema = dict[str, Any]
#: Marks a resolved schema with the ``$ref`` it came from (never written to a file).
_REF_MARK = "\x00ref"


# --- generation ----------------------------------------------------------------------------------


def _schema_of(model: type[BaseModel], **extensions: str) -> Schema:
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema.update(extensions)
    return schema


def generate() -> dict[str, Schema]:
    """File name → JSON Schema, for every event class and for the question submission."""
    schemas: dict[str, Schema] = {}
    for cls in EVENT_TYPES:
        name = f"{cls.ce_type}.json"
        if name in schemas:
            raise ValueError(f"two event classes share ce_type {cls.ce_type!r}")
        schemas[name] = _schema_of(cls, **{"x-topic": cls.topic, "x-ce-type": cls.ce_type})
    schemas[SUBMISSION_FILE] = _schema_of(QuestionSubmission, **{"x-endpoint": SUBMISSION_ENDPOINT})
    return schemas


def render(schema: Mapping[str, Any]) -> str:
    """The exact text of a checked-in schema file: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory: Path, schemas: Mapping[str, Schema] | None = None) -> list[str]:
    """Write every generated schema into ``directory``; return the names written.

    Files that no class generates any more are left alone (see the module docstring).
    """
    directory.mkdir(parents=True, exist_ok=True)
    schemas = generate() if schemas is None else schemas
    for name, schema in schemas.items():
        (directory / name).write_text(render(schema), encoding="utf-8")
    return sorted(schemas)


def _checked_in(directory: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(directory.glob("*.json"))} if directory.is_dir() else {}


def stale_reasons(directory: Path) -> dict[str, str]:
    """Like :func:`stale`, with why each file is stale."""
    generated = generate()
    present = _checked_in(directory)
    reasons: dict[str, str] = {}
    for name, schema in generated.items():
        path = present.get(name)
        if path is None:
            reasons[name] = "missing"
        elif path.read_text(encoding="utf-8") != render(schema):
            reasons[name] = "differs from the generated schema"
    for name in present.keys() - generated.keys():
        reasons[name] = "no class generates it (delete it by hand only if the event is retired)"
    return dict(sorted(reasons.items()))


def stale(directory: Path) -> list[str]:
    """Names of schema files that are missing, differ from the generated text, or have no class."""
    return list(stale_reasons(directory))


# --- compatibility -------------------------------------------------------------------------------

_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Problems for changes from ``old`` to ``new`` (two schemas of one event) that break a reader.

    A change breaks if a reader built on the old schema rejects or misreads what is written under
    the new one, or if a reader built on the new schema rejects events already written under the
    old one (topics retain history and consumers replay it). In short: *the type of every field
    must stay; the set of values accepted within that type may grow but not shrink.*

    Breaking:
    - a property removed (a rename shows as a removal), at any depth;
    - a property's type changed: its JSON ``type``, its ``format``, the shape behind a ``$ref``
      (refs are resolved through ``$defs`` recursively, so renaming a nested class alone is not a
      change, but changing a field inside it is), array ``items``, and ``anyOf`` members removed
      or added — adding ``null`` (``str`` → ``str | None``) breaks old readers that require a value;
    - enum / ``Literal`` values removed, a ``const`` changed, or a free value restricted to an enum;
    - a constraint tightened (``minLength`` raised, ``maxItems`` lowered, a ``pattern`` added or
      changed, ``additionalProperties`` closed, ...), because already-written events may not meet it;
    - an optional property made required, or a new required property added;
    - the event moved to another topic (``x-topic``).

    Compatible: adding an optional property; adding enum values or lifting an enum to its plain
    type; loosening a constraint; changing titles, descriptions, examples or defaults. Adding enum
    values *is* breaking for a strict reader in theory (an old reader that validates against the
    old list rejects the new value). We treat it as compatible by convention: readers of code
    lists must accept codes they do not know (treat them as "other"), the same way readers ignore
    properties they do not know.

    Each message names the field by its path: ``reasons[].code`` is the ``code`` of an item of the
    ``reasons`` array; ``life_domain`` at the top level.
    """
    problems: list[str] = []
    if "x-topic" in old and old.get("x-topic") != new.get("x-topic"):
        problems.append(
            f"event moved from topic {old['x-topic']!r} to {new.get('x-topic')!r}: "
            "subscribers of the old topic no longer receive it"
        )
    problems.extend(_Comparison(old, new).node(old, new, ""))
    return problems


class _Comparison:
    """Walks two schema trees side by side, each resolving ``$ref`` against its own root."""

    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.in_progress: set[tuple[Any, Any]] = set()

    # -- resolution --

    @staticmethod
    def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` (and single-member ``allOf``) chains; sibling keywords override."""
        result = dict(node)
        for _ in range(100):  # a chain of pure refs pointing at each other cannot loop forever
            if "$ref" in result:
                ref = result.pop("$ref")
                result = {**_lookup(root, ref), **result}
                result.setdefault(_REF_MARK, ref)
            elif isinstance(result.get("allOf"), list) and len(result["allOf"]) == 1:
                (only,) = result.pop("allOf")
                result = {**only, **result}
            else:
                return result
        raise ValueError("$ref chain does not end")

    def _members(self, node: Mapping[str, Any], root: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The alternatives a value may match: anyOf/oneOf members, or each of a list of types."""
        node = self._resolve(node, root)
        for key in ("anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                rest = {k: v for k, v in node.items() if k not in (key, _REF_MARK, "default", "title", "description")}
                members: list[dict[str, Any]] = []
                for member in node[key]:
                    members.extend(self._members({**rest, **member}, root))
                return members
        if isinstance(node.get("type"), list):
            return [{**node, "type": t} for t in node["type"]]
        return [node]

    # -- comparison --

    def node(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> list[str]:
        old_members = self._members(old, self.old_root)
        new_members = self._members(new, self.new_root)
        if len(old_members) == 1 and len(new_members) == 1:
            o, n = old_members[0], new_members[0]
            if _kind(o) != _kind(n):
                return [f"{_label(path)}: type changed from {_describe(o)} to {_describe(n)}"]
            return self._same_kind(o, n, path)
        return self._alternatives(old_members, new_members, path)

    def _alternatives(
        self, old_members: list[dict[str, Any]], new_members: list[dict[str, Any]], path: str
    ) -> list[str]:
        problems: list[str] = []
        removed: list[dict[str, Any]] = []
        for o in old_members:
            candidates = [n for n in new_members if _kind(n) == _kind(o)]
            if not candidates:
                removed.append(o)
                continue
            outcomes = [self._same_kind(o, n, path) for n in candidates]
            if all(outcomes):  # no candidate takes this member unchanged: report the closest
                closest: list[str] = min(outcomes, key=len)
                problems.extend(closest)
        old_kinds = {_kind(o) for o in old_members}
        added = [n for n in new_members if _kind(n) not in old_kinds]
        if len(removed) == 1 and len(added) == 1:
            return [
                f"{_label(path)}: type changed from {_describe(removed[0])} to {_describe(added[0])}",
                *problems,
            ]
        problems[:0] = [f"{_label(path)}: no longer accepts {_describe(o)} (anyOf member removed)" for o in removed]
        problems.extend(
            f"{_label(path)}: now also accepts {_describe(n)}, which existing readers reject" for n in added
        )
        return problems

    def _same_kind(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> list[str]:
        pair = (old.get(_REF_MARK), new.get(_REF_MARK))
        if pair[0] is None or pair[1] is None:
            return self._compare(old, new, path)
        if pair in self.in_progress:  # a recursive model: this pair is being compared further up
            return []
        self.in_progress.add(pair)
        try:
            return self._compare(old, new, path)
        finally:
            self.in_progress.discard(pair)

    def _compare(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> list[str]:
        label = _label(path)
        problems: list[str] = []
        if old.get("format") != new.get("format"):
            problems.append(f"{label}: format changed from {old.get('format')} to {new.get('format')}")
        problems.extend(_enum_changes(old, new, label))
        problems.extend(_constraint_changes(old, new, label))
        kind = _kind(old)
        if kind == "object":
            problems.extend(self._object(old, new, path))
        elif kind == "array":
            problems.extend(self._array(old, new, path))
        return problems

    def _object(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> list[str]:
        problems: list[str] = []
        old_props: dict[str, Any] = old.get("properties", {})
        new_props: dict[str, Any] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name, old_prop in old_props.items():
            child = _join(path, name)
            if name not in new_props:
                problems.append(f"{_label(child)}: property removed (a rename shows as a removal)")
                continue
            if name in new_required and name not in old_required:
                problems.append(f"{_label(child)}: optional property made required")
            problems.extend(self.node(old_prop, new_props[name], child))
        for name in new_props.keys() - old_props.keys():
            if name in new_required:
                problems.append(f"{_label(_join(path, name))}: new required property")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if new_extra is False and old_extra is not False:
            problems.append(f"{_label(path)}: now refuses properties it does not declare")
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            problems.extend(self.node(old_extra, new_extra, _join(path, "*")))
        return problems

    def _array(self, old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> list[str]:
        problems: list[str] = []
        old_items, new_items = old.get("items"), new.get("items")
        if isinstance(old_items, dict) and isinstance(new_items, dict):
            problems.extend(self.node(old_items, new_items, path + "[]"))
        elif isinstance(new_items, dict) and new_items and not old_items:
            problems.append(f"{_label(path)}: items now restricted to {_describe(new_items)}")
        elif isinstance(old_items, dict) and old_items and not new_items:
            problems.append(f"{_label(path)}: items no longer restricted to {_describe(old_items)}")
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        for index, (o, n) in enumerate(zip(old_prefix, new_prefix, strict=False)):
            problems.extend(self.node(o, n, f"{path}[{index}]"))
        if len(old_prefix) != len(new_prefix):
            problems.append(f"{_label(path)}: tuple length changed from {len(old_prefix)} to {len(new_prefix)}")
        return problems


def _lookup(root: Mapping[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"$ref {ref!r} does not point at a schema")
    return node


def _enum_values(node: Mapping[str, Any]) -> list[Any] | None:
    if "enum" in node:
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    return None


_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
    (type(None), "null"),
)


def _kind(node: Mapping[str, Any]) -> str:
    """The JSON type a (resolved, single) schema accepts; ``any`` for an unconstrained schema."""
    declared = node.get("type")
    if isinstance(declared, str):
        return declared
    if "properties" in node or "additionalProperties" in node:
        return "object"
    if "items" in node or "prefixItems" in node:
        return "array"
    values = _enum_values(node)
    if values:
        kinds = {next(name for py, name in _JSON_TYPES if isinstance(v, py)) for v in values}
        return kinds.pop() if len(kinds) == 1 else "any"
    return "any"


def _describe(node: Mapping[str, Any]) -> str:
    kind = _kind(node)
    if kind == "object" and node.get("title"):
        return f"object {node['title']}"
    if kind == "array" and isinstance(node.get("items"), dict):
        return f"array of {_describe(node['items'])}"
    values = _enum_values(node)
    if values is not None:
        return f"{kind} {_values(values)}"
    if node.get("format"):
        return f"{kind} ({node['format']})"
    return kind


def _values(values: Iterable[Any]) -> str:
    return "{" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def _enum_changes(old: Mapping[str, Any], new: Mapping[str, Any], label: str) -> list[str]:
    old_values, new_values = _enum_values(old), _enum_values(new)
    if new_values is None:
        return []  # no restriction (any more): every old value is still accepted
    if old_values is None:
        return [f"{label}: now restricted to {_values(new_values)}; earlier values may fall outside"]
    removed = [v for v in old_values if v not in new_values]
    if not removed:
        return []
    if "const" in old and "const" in new:
        return [f"{label}: const changed from {_values(old_values)} to {_values(new_values)}"]
    return [f"{label}: value(s) {_values(removed)} removed"]


def _constraint_changes(old: Mapping[str, Any], new: Mapping[str, Any], label: str) -> list[str]:
    problems: list[str] = []
    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            problems.append(f"{label}: {key} tightened from {old.get(key)} to {new[key]}")
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            problems.append(f"{label}: {key} tightened from {old.get(key)} to {new[key]}")
    for key in ("pattern", "multipleOf"):
        if key in new and old.get(key) != new[key]:
            problems.append(f"{label}: {key} changed from {old.get(key)!r} to {new[key]!r}")
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        problems.append(f"{label}: items must now be unique")
    return problems


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _label(path: str) -> str:
    return f"`{path}`" if path else "the payload"


def compatibility(directory: Path) -> list[str]:
    """Breaking changes between each checked-in schema and the one generated from its class now.

    A checked-in versioned schema (``….vN.json``) whose class is gone is a problem too: readers of
    that event still exist.
    """
    breaking, retired = _compatibility(directory)
    return breaking + retired


def _compatibility(directory: Path) -> tuple[list[str], list[str]]:
    """(breaking changes of schemas that still have a class, versioned schemas without a class)."""
    generated = generate()
    breaking: list[str] = []
    retired: list[str] = []
    for name, path in _checked_in(directory).items():
        if name in generated:
            checked_in = json.loads(path.read_text(encoding="utf-8"))
            breaking.extend(f"{name}: {p}" for p in breaking_changes(checked_in, generated[name]))
        elif match := _VERSIONED_FILE.match(name):
            retired.append(
                f"{name}: {match['ce_type']} removed; keep publishing it or deprecate it explicitly "
                f"(delete {name} by hand once no reader is left)"
            )
    return breaking, retired


# --- command line --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contracts.schemas", description="Generate or check the event JSON Schemas."
    )
    parser.add_argument("--check", action="store_true", help="exit 1 listing stale schema files")
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="overwrite schemas even with breaking changes (only for events never published)",
    )
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help=f"default: {SCHEMA_DIR}")
    args = parser.parse_args(argv)
    directory: Path = args.dir

    if args.check:
        reasons = stale_reasons(directory)
        for name, reason in reasons.items():
            print(f"stale: {directory / name}: {reason}", file=sys.stderr)
        if reasons:
            print(f"regenerate with: {REGENERATE_COMMAND}", file=sys.stderr)
            return 1
        print(f"{directory}: schemas up to date")
        return 0

    breaking, retired = _compatibility(directory)
    if breaking and not args.allow_breaking:
        for problem in breaking:
            print(f"breaking: {problem}", file=sys.stderr)
        print(
            "refusing to overwrite the checked-in schemas: publish a new major version "
            "(a new class with .v2 in ce_type) instead, or pass --allow-breaking if the event "
            "was never published",
            file=sys.stderr,
        )
        return 1
    for name in write(directory):
        print(f"wrote {directory / name}")
    for problem in retired:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
