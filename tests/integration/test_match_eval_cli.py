"""`samenloket match-eval FILE` as a user runs it: a real process, JSON out, exit code 2 on errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_matching_scenario import base

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "match-eval", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_prints_the_assignments(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(base()), encoding="utf-8")
    done = run(str(path))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"assignments", "unassigned"}
    assert [(a["question_id"], a["supporter_ids"]) for a in result["assignments"]] == [
        ("q-old", ["pro-1"]),
        ("q-duo", ["pro-2", "vol-1"]),
    ]
    assert {u["question_id"] for u in result["unassigned"]} == {"q-new", "q-sign"}
    assert all(set(a) == {"question_id", "supporter_ids", "score", "reasons"} for a in result["assignments"])


def test_one_line_per_error_and_exit_code_2(tmp_path: Path) -> None:
    data = base()
    data["supporters"][0]["capacity"] = -1
    data["questions"][2]["life_domains"] = ["cooking"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = run(str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}: supporters[0].capacity:")
    assert lines[1].startswith(f"{path}: questions[2].life_domains[0]:")


def test_unreadable_file(tmp_path: Path) -> None:
    done = run(str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "cannot read" in done.stderr
