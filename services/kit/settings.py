"""Settings from the environment (prefix ``SAMENLOKET_``): one shared base and a class per service.

:class:`Settings` holds what every process needs (infrastructure, addresses of the services, the
internal token, consumption, observability); each service extends it with its own fields in
``services/<service>/settings.py``. A bad value stops the process at start with one clear line
(see :func:`load_settings`).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar, get_args

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

    # HTTP, and where the services are
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
    http_max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, le=16 * 1024 * 1024, description="largest request body of pages and forms"
    )
    http_max_api_body_bytes: int = Field(
        default=256 * 1024, ge=1024, le=64 * 1024 * 1024, description="largest request body under /api/ and /internal/"
    )
    trusted_proxies: str = Field(
        default="",
        max_length=4000,
        description="CIDRs of our own reverse proxies, comma-separated: only from these is X-Forwarded-For believed",
    )
    web_cookie_secure: bool = Field(default=False, description="mark the pages' cookies Secure (serve over https)")
    matching_public_url: str = Field(
        default="",
        description="public base URL of matching's pages (supporters' and coordinators'); empty: matching_url",
    )
    region_file: str = Field(
        default="", description="the region file (TOML) this deployment serves; empty: the demo region Drechtsteden"
    )
    # The loket residents and supporters can reach (shown on every resident page and in every mail)
    loket_name: str = Field(default="Samenloket", max_length=100, description="the loket's name as people read it")
    loket_phone: str = Field(default="", max_length=40, description="the loket's phone number; empty: not shown")
    loket_email: str = Field(default="", max_length=200, description="the loket's e-mail address; empty: not shown")
    # Staff page sessions (services/kit/web/sessions.py)
    web_session_idle_minutes: float = Field(default=30, gt=0, le=24 * 60, description="a session ends this idle")
    web_session_hours: float = Field(default=12, gt=0, le=7 * 24, description="a session ends this long after sign-in")

    # Partner webhooks (services/kit/netguard.py): intake checks them at registration, notifications per call
    webhooks_allow_private_addresses: bool = Field(
        default=False,
        description="let partner webhooks use http:// and local or private addresses (development and tests only)",
    )

    # Consumption
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_retry_base_seconds: float = Field(default=0.2, gt=0, le=60)
    consumer_concurrency: int = Field(
        default=3, ge=1, le=64, description="consumers per busy group, each handling its partitions in order"
    )
    db_pool_max: int = Field(default=10, ge=1, le=200)
    http_workers: int = Field(
        default=1,
        ge=1,
        le=32,
        description="processes serving one service (uvicorn workers); each is a full instance of the"
        " service (its own pool, consumers of the same groups, relay), as several replicas would be",
    )

    # Observability
    otlp_endpoint: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        from services.kit.web.clients import parse_networks

        parse_networks(value)
        return value

    def http_port(self, service: str) -> int:
        return self.port or DEFAULT_PORTS[service]


S = TypeVar("S", bound=Settings)


def as_settings(kind: type[S], settings: Settings) -> S:
    """``settings`` as ``kind`` (a service's own class): every value ``settings`` holds that ``kind`` knows
    is kept (also one given with ``model_copy(update=...)``), the rest comes from the environment."""
    if isinstance(settings, kind):
        return settings
    return kind(**{name: value for name, value in vars(settings).items() if name in kind.model_fields})


def format_error(exc: ValidationError, kind: type[Settings] = Settings) -> str:
    """One line: every bad setting with its environment variable name and the reason."""
    parts = []
    for err in exc.errors():
        name = "SAMENLOKET_" + "_".join(str(p) for p in err["loc"]).upper()
        field = kind.model_fields.get(str(err["loc"][0])) if err["loc"] else None
        secret = field is not None and SecretStr in (field.annotation, *get_args(field.annotation))
        parts.append(f"{name}: {err['msg']}" + ("" if secret else f" (got {err.get('input')!r})"))
    return "invalid settings: " + "; ".join(parts)


@cache
def load_settings(kind: type[S] = Settings) -> S:  # type: ignore[assignment]
    """Read the settings once per class; on a bad value print one line to stderr and exit with status 2."""
    try:
        return kind()
    except ValidationError as exc:
        print(format_error(exc, kind), file=sys.stderr)
        raise SystemExit(2) from None
