"""The checked-in JSON Schemas match the payload classes, and no change to a class breaks a reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts import schemas
from contracts.events import EVENT_TYPES, QuestionSubmission, QuestionWaiting
from contracts.schemas import (
    REGENERATE_COMMAND,
    SCHEMA_DIR,
    SUBMISSION_FILE,
    compatibility,
    generate,
    render,
    stale,
    stale_reasons,
    write,
)

RECEIVED = "nl.samenloket.question.received.v1.json"


def test_checked_in_schemas_are_not_stale() -> None:
    reasons = stale_reasons(SCHEMA_DIR)
    listing = "\n".join(f"  {name}: {reason}" for name, reason in reasons.items())
    assert not reasons, (
        f"the JSON Schemas in {SCHEMA_DIR} do not match the classes in contracts/events/:\n{listing}\n"
        f"regenerate them with: {REGENERATE_COMMAND}   (from the repository root, then commit them)"
    )


def test_checked_in_schemas_are_compatible_with_the_models() -> None:
    problems = compatibility(SCHEMA_DIR)
    listing = "\n".join(f"  {p}" for p in problems)
    assert not problems, (
        f"a payload class changed in a way that breaks existing readers:\n{listing}\n"
        "keep the old class and publish a new major version (a new class with .v2 in ce_type); "
        "see the rules in contracts/events/"
    )


def test_every_event_class_has_a_checked_in_schema_naming_its_topic_and_type() -> None:
    for cls in EVENT_TYPES:
        path = SCHEMA_DIR / f"{cls.ce_type}.json"
        assert path.is_file(), f"no schema for {cls.__name__}; run {REGENERATE_COMMAND}"
        checked_in = json.loads(path.read_text(encoding="utf-8"))
        assert checked_in["x-topic"] == cls.topic
        assert checked_in["x-ce-type"] == cls.ce_type
        assert checked_in["title"] == cls.__name__
        assert set(checked_in["properties"]) == set(cls.model_fields)


def test_question_submission_schema_is_checked_in() -> None:
    checked_in = json.loads((SCHEMA_DIR / SUBMISSION_FILE).read_text(encoding="utf-8"))
    assert checked_in["title"] == "QuestionSubmission"
    assert checked_in["x-endpoint"] == "POST /api/v1/questions"
    assert checked_in["additionalProperties"] is False
    assert set(checked_in["required"]) == {
        "municipality",
        "life_domains",
        "description",
        "postcode",
        "contact",
        "consent",
    }
    assert set(checked_in["properties"]) == set(QuestionSubmission.model_fields)


def test_rendering_is_sorted_indented_and_ends_with_a_newline() -> None:
    text = render({"b": 1, "a": {"d": 2, "c": 3}})
    assert text == '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}\n'


def test_generate_names_one_file_per_ce_type_plus_the_submission() -> None:
    names = set(generate())
    assert names == {f"{cls.ce_type}.json" for cls in EVENT_TYPES} | {SUBMISSION_FILE}


# --- stale / compatibility / main on a scratch directory -----------------------------------------


def test_write_then_stale_is_empty(tmp_path: Path) -> None:
    written = write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == written
    assert stale(tmp_path) == []
    assert compatibility(tmp_path) == []


def test_stale_reports_missing_changed_and_extra_files(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / RECEIVED).unlink()
    waiting = tmp_path / f"{QuestionWaiting.ce_type}.json"
    waiting.write_text(waiting.read_text(encoding="utf-8").replace("  ", "    "), encoding="utf-8")
    (tmp_path / "nl.samenloket.thing.gone.v1.json").write_text("{}\n", encoding="utf-8")
    assert stale(tmp_path) == sorted([RECEIVED, waiting.name, "nl.samenloket.thing.gone.v1.json"])


def test_compatibility_flags_a_property_the_class_no_longer_has(tmp_path: Path) -> None:
    write(tmp_path)
    path = tmp_path / RECEIVED
    old = json.loads(path.read_text(encoding="utf-8"))
    old["properties"]["legacy_code"] = {"type": "string"}
    old["required"].append("legacy_code")
    path.write_text(render(old), encoding="utf-8")
    (problem,) = compatibility(tmp_path)
    assert problem.startswith(RECEIVED)
    assert "`legacy_code`" in problem
    assert "removed" in problem


def test_compatibility_flags_a_checked_in_event_whose_class_is_gone(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "nl.samenloket.thing.gone.v1.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "notes.json").write_text("{}\n", encoding="utf-8")  # not a versioned event schema
    (problem,) = compatibility(tmp_path)
    assert "nl.samenloket.thing.gone.v1 removed; keep publishing it or deprecate it explicitly" in problem


def test_main_check_exits_1_listing_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert RECEIVED in err
    assert REGENERATE_COMMAND in err
    assert schemas.main(["--dir", str(tmp_path)]) == 0
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 0


def test_main_refuses_to_overwrite_a_schema_with_a_breaking_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path)
    path = tmp_path / RECEIVED
    old = json.loads(path.read_text(encoding="utf-8"))
    old["properties"]["question_id"]["type"] = "integer"
    path.write_text(render(old), encoding="utf-8")
    before = path.read_text(encoding="utf-8")

    assert schemas.main(["--dir", str(tmp_path)]) == 1
    assert "`question_id`" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == before

    assert schemas.main(["--dir", str(tmp_path), "--allow-breaking"]) == 0
    assert stale(tmp_path) == []
