"""Settings from the environment (prefix ``SAMENLOKET_``).

A bad value stops the process at start with one clear line (see :func:`load_settings`).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES = ("intake", "matching", "notifications", "reporting")
DEFAULT_PORTS = {"intake": 8001, "matching": 8002, "notifications": 8003, "reporting": 8004}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMENLOKET_", extra="ignore", frozen=True)

    # Infrastructure. Empty means "embedded": `samenloket up` and the tests start it and fill these in.
    database_url: str = Field(default="", description="postgresql://user:pass@host:port/db")
    kafka_bootstrap_servers: str = Field(default="", description="host:port[,host:port]")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_topic_partitions: int = Field(default=6, ge=1, le=256)
    kafka_replication_factor: int = Field(default=1, ge=1, le=7)
    data_dir: Path = Path(".samenloket")

    # HTTP
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535, description="defaults per service")
    intake_url: str = "http://127.0.0.1:8001"
    matching_url: str = "http://127.0.0.1:8002"
    public_url: str = Field(
        default="", description="public base URL of intake's resident pages (links in mails); empty: intake_url"
    )
    notifications_url: str = Field(
        default="http://127.0.0.1:8003", description="public base URL of notifications (opt-out links in mails)"
    )
    internal_token: SecretStr = Field(
        default=SecretStr(""), description="shared secret for internal calls between services"
    )
    # Resident web form (intake)
    web_cookie_secure: bool = Field(default=False, description="mark the pages' cookies Secure (serve over https)")
    web_rate_limit: int = Field(default=10, ge=1, le=100_000, description="form submissions per client per window")
    web_rate_window_seconds: float = Field(default=600, gt=0, le=86_400, description="the rate limit's window")
    # Staff page sessions (services/kit/web/sessions.py)
    web_session_idle_minutes: float = Field(default=30, gt=0, le=24 * 60, description="a session ends this idle")
    web_session_hours: float = Field(default=12, gt=0, le=7 * 24, description="a session ends this long after sign-in")

    # Encryption at rest (services/kit/crypto.py). Empty: the keys in <data_dir>/secrets.json (made once).
    encryption_keys: SecretStr = Field(
        default=SecretStr(""), description="key ring id1:base64key[,id2:base64key]: first encrypts, all decrypt"
    )
    index_key: SecretStr = Field(default=SecretStr(""), description="base64 32-byte key of the resident blind indexes")

    @field_validator("encryption_keys")
    @classmethod
    def _check_encryption_keys(cls, value: SecretStr) -> SecretStr:
        from services.kit.crypto import KeyRing

        if value.get_secret_value():
            KeyRing.parse(value.get_secret_value())
        return value

    @field_validator("index_key")
    @classmethod
    def _check_index_key(cls, value: SecretStr) -> SecretStr:
        from services.kit.crypto import decode_key

        if value.get_secret_value():
            decode_key(value.get_secret_value())
        return value

    # Consumption
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_retry_base_seconds: float = Field(default=0.2, gt=0, le=60)
    consumer_concurrency: int = Field(default=8, ge=1, le=256, description="events with different keys at once")
    db_pool_max: int = Field(default=10, ge=1, le=200)

    # Mail (binding names)
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_from: str = "Samenloket <noreply@samenloket.local>"
    coordinator_email: str | None = Field(default=None, description="coordinators' address (joint consultations)")
    digest_email: str | None = Field(default=None, description="address of the daily signal digest (municipality)")
    # SMS through a generic HTTP gateway (POST JSON {"from","to","text"}, bearer token). Empty URL: no SMS.
    sms_gateway_url: str = ""
    sms_gateway_token: SecretStr | None = None
    sms_sender: str = "Samenloket"
    webhooks_allow_private_addresses: bool = Field(
        default=False, description="let partner webhooks point at local or private addresses (development only)"
    )

    # Reporting
    suppression_threshold: int = Field(
        default=10, ge=2, le=1000, description="counts of fewer people than this show as '<threshold>' in every figure"
    )
    statistics_interval_seconds: float = Field(
        default=3600, ge=0, le=31 * 86_400, description="how often StatisticsPublished goes out; 0: never"
    )

    # Observability
    otlp_endpoint: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def http_port(self, service: str) -> int:
        return self.port or DEFAULT_PORTS[service]


def format_error(exc: ValidationError) -> str:
    """One line: every bad setting with its environment variable name and the reason."""
    parts = []
    for err in exc.errors():
        name = "SAMENLOKET_" + "_".join(str(p) for p in err["loc"]).upper()
        field = Settings.model_fields.get(str(err["loc"][0])) if err["loc"] else None
        secret = field is not None and SecretStr in (field.annotation, *get_args(field.annotation))
        parts.append(f"{name}: {err['msg']}" + ("" if secret else f" (got {err.get('input')!r})"))
    return "invalid settings: " + "; ".join(parts)


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """Read the settings once; on a bad value print one line to stderr and exit with status 2."""
    try:
        return Settings()
    except ValidationError as exc:
        print(format_error(exc), file=sys.stderr)
        raise SystemExit(2) from None
