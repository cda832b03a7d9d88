"""Intake's own settings: the resident forms' rate limit, retention and the keys of its encryption at rest."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from services.kit.crypto import KeyRing, decode_key
from services.kit.settings import Settings


class IntakeSettings(Settings):
    web_rate_limit: int = Field(default=10, ge=1, le=100_000, description="form submissions per client per window")
    web_rate_window_seconds: float = Field(default=600, gt=0, le=86_400, description="the rate limit's window")
    status_view_limit: int = Field(
        default=60, ge=1, le=100_000, description="views of residents' own pages (/mijn-vraag) per client per window"
    )

    # Retention (services/intake/privacy_officer/retention.py): erase a resident this many years after
    # their last question ended; 0 turns it off.
    retention_years: int = Field(
        default=2, ge=0, le=100, description="years after the last question ended that a resident is erased; 0: off"
    )
    retention_check_seconds: float = Field(
        default=3600, gt=0, le=7 * 86_400, description="how often intake looks for residents whose retention passed"
    )

    # Participation (services/intake/experiences/reading.py, signals/overdue.py, advice/): councils read
    # experience texts only in groups this large, and the desk and the addressee of an advice answer in time.
    suppression_threshold: int = Field(
        default=10, ge=2, le=1000, description="experience texts are shown only in groups of at least this many"
    )
    signal_answer_weeks: int = Field(
        default=6, ge=1, le=52, description="weeks (of working days) the desk has to answer a signal before it is late"
    )
    advice_response_weeks: int = Field(
        default=6, ge=1, le=52, description="weeks (of working days) the addressee has to respond to an advice"
    )
    council_meetings_per_year: int = Field(
        default=2, ge=0, le=52, description="how many meetings a council plans to hold each year"
    )

    # Encryption at rest (services/kit/crypto.py). Empty: the keys in <data_dir>/secrets.json (made once).
    encryption_keys: SecretStr = Field(
        default=SecretStr(""), description="key ring id1:base64key[,id2:base64key]: first encrypts, all decrypt"
    )
    index_key: SecretStr = Field(default=SecretStr(""), description="base64 32-byte key of the resident blind indexes")

    @field_validator("encryption_keys")
    @classmethod
    def _check_encryption_keys(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value():
            KeyRing.parse(value.get_secret_value())
        return value

    @field_validator("index_key")
    @classmethod
    def _check_index_key(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value():
            decode_key(value.get_secret_value())
        return value
