"""The Dockerfile (no Docker engine here, so it is parsed and checked) and its entrypoint command,
run outside a container exactly as the image runs it: ``samenloket serve|migrate|topics``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from services.kit.settings import DEFAULT_PORTS, SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
SAMENLOKET = Path(sys.executable).with_name("samenloket")


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` per Dockerfile instruction, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for instruction in instructions((ROOT / "Dockerfile").read_text()):
        if instruction[0] == "FROM":
            out.append([])
        out[-1].append(instruction)
    return out


def test_dockerfile_is_multi_stage_slim_and_non_root() -> None:
    builder, final = stages()
    assert builder[0][1].endswith(" AS builder")
    assert final[0] == ("FROM", "python:3.11-slim")
    users = [args for kind, args in final if kind == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    text = " ".join(args for _, args in final)
    for tool in ("gcc", "build-essential", "apt-get install", "pip install"):
        assert tool not in text, f"{tool} in the final stage"
    assert ("COPY", "--from=builder /opt/samenloket /opt/samenloket") in final
    assert json.loads(dict(final)["ENTRYPOINT"]) == ["samenloket"]
    assert json.loads(dict(final)["CMD"]) == ["serve", "intake"]
    assert set(dict(final)["EXPOSE"].split()) == {str(p) for p in DEFAULT_PORTS.values()}
    assert "useradd --system --uid 10001" in text


def test_dockerignore_keeps_local_state_out_but_not_the_sources() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    assert {".git", ".venv", ".samenloket", ".pytest_cache", ".mypy_cache", "tests"} <= ignored
    copied = [source for kind, args in stages()[0] if kind == "COPY" for source in args.split()[:-1]]
    assert copied and all((ROOT / source).exists() and source not in ignored for source in copied)


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SAMENLOKET_")}
    return subprocess.run(
        [str(SAMENLOKET), *args], capture_output=True, text=True, timeout=60, env=clean | env, check=False
    )


def test_entrypoint_offers_the_commands_the_image_runs() -> None:
    serve = run("serve", "--help")
    assert serve.returncode == 0, serve.stderr
    assert all(name in serve.stdout for name in SERVICE_NAMES)
    for command in ("migrate", "topics"):
        result = run(command, "--help")
        assert result.returncode == 0 and f"samenloket {command}" in result.stdout


def test_entrypoint_fails_fast_and_clearly_when_misconfigured() -> None:
    missing = run("migrate")
    assert missing.returncode == 2 and "SAMENLOKET_DATABASE_URL" in missing.stderr
    missing = run("topics")
    assert missing.returncode == 2 and "SAMENLOKET_KAFKA_BOOTSTRAP_SERVERS" in missing.stderr
    bad = run("serve", "notifications", SAMENLOKET_SMTP_TLS="bad")  # a setting of the service it serves
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "invalid settings: SAMENLOKET_SMTP_TLS: Input should be 'none', 'starttls' or 'tls' (got 'bad')"
    ]
