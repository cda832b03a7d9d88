"""Notifications' own settings: mail, SMS, who gets coordinators' and signal mail.

Partner webhooks' address policy (``webhooks_allow_private_addresses``) is in the shared base: intake
checks it when a webhook is registered, notifications when it posts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from services.kit.settings import Settings


class NotificationsSettings(Settings):
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
