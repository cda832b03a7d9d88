"""Settings: a bad value stops the process with one clear line."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from services.kit.http import field_errors
from services.kit.settings import Settings, format_error
from services.local.bench import percentiles
from services.local.launcher import _redact
from services.notifications.settings import NotificationsSettings


def test_defaults_mean_embedded_mode() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == ""
    assert settings.kafka_bootstrap_servers == ""
    assert settings.http_port("matching") == 8002


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMENLOKET_SMTP_TLS", "starttls")
    monkeypatch.setenv("SAMENLOKET_PORT", "9001")
    settings = NotificationsSettings()
    assert settings.smtp_tls == "starttls"
    assert settings.http_port("intake") == 9001


def test_error_names_every_bad_variable_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMENLOKET_SMTP_TLS", "sometimes")
    monkeypatch.setenv("SAMENLOKET_CONSUMER_MAX_ATTEMPTS", "0")
    with pytest.raises(ValidationError) as caught:
        NotificationsSettings()
    line = format_error(caught.value, NotificationsSettings)
    assert "\n" not in line
    assert "SAMENLOKET_SMTP_TLS" in line and "'sometimes'" in line
    assert "SAMENLOKET_CONSUMER_MAX_ATTEMPTS" in line


def test_a_bad_setting_stops_the_command_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "migrate"],
        env={"SAMENLOKET_KAFKA_TOPIC_PARTITIONS": "lots", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("invalid settings: SAMENLOKET_KAFKA_TOPIC_PARTITIONS")


def test_field_errors_drop_the_body_prefix_and_name_the_field() -> None:
    errors = [
        {"loc": ("body", "contact", "email"), "msg": "value is not a valid email address"},
        {"loc": ("body", "municipality"), "msg": "Value error, unknown municipality code 'GM9999'"},
    ]
    assert field_errors(errors) == [
        {"field": "contact.email", "reason": "value is not a valid email address"},
        {"field": "municipality", "reason": "unknown municipality code 'GM9999'"},
    ]


def test_passwords_are_hidden_when_urls_are_printed() -> None:
    assert _redact("postgresql://app:s3cret@db:5432/samenloket") == "postgresql://app:***@db:5432/samenloket"
    assert _redact("postgresql://postgres@127.0.0.1:5432/x") == "postgresql://postgres@127.0.0.1:5432/x"


def test_bench_percentiles_pick_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    summary = percentiles(values)
    assert summary is not None
    assert (summary["p50"], summary["p90"], summary["p99"], summary["max"]) == (50.0, 90.0, 99.0, 100.0)
    assert percentiles([]) is None


def test_a_service_reads_only_its_own_settings_and_the_shared_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each service has its own settings class on the shared base: another service's bad value is not its concern."""
    monkeypatch.setenv("SAMENLOKET_SMTP_TLS", "sometimes")
    monkeypatch.setenv("SAMENLOKET_SUPPRESSION_THRESHOLD", "7")
    from services.matching.settings import MatchingSettings
    from services.reporting.settings import ReportingSettings

    assert ReportingSettings().suppression_threshold == 7
    assert not hasattr(MatchingSettings(), "smtp_tls")
    with pytest.raises(ValidationError):
        NotificationsSettings()
