"""The containers mode (``SAMENLOKET_TEST_INFRA=containers``) skips, with its reason, where no Docker engine runs.

Real Apache Kafka and PostgreSQL containers need a Docker engine; CI and these machines have none,
so a test that asks for the ``settings`` fixture in that mode must be skipped and say why, never
fail or hang. Where an engine answers (a developer's laptop), this module's own assertion does not
apply and it skips itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import containers_unavailable

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

TINY = """
from services.kit.settings import Settings


def test_needs_infrastructure(settings: Settings) -> None:
    assert settings.database_url
"""


def test_containers_mode_skips_without_a_docker_engine(tmp_path: Path) -> None:
    if containers_unavailable() is None:
        pytest.skip("a Docker engine answers here: the containers mode runs for real")
    probe = tmp_path / "test_probe_containers.py"  # outside tests/, so no other run collects it
    probe.write_text(TINY)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
         "-p", "tests.conftest", "-p", "no:cacheprovider", "-q", "-rs", str(probe),
         "--basetemp", str(tmp_path / "inner")],
        cwd=ROOT,
        env={**os.environ, "SAMENLOKET_TEST_INFRA": "containers"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout, done.stdout
    assert "Docker engine" in done.stdout, done.stdout
    assert "passed" not in done.stdout and "error" not in done.stdout.lower(), done.stdout
