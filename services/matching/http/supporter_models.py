"""What the supporter routes take and give: a new supporter, a change, and the profile as shown."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from contracts.codes import LIFE_DOMAINS, SupporterKind
from contracts.events import check_languages, check_municipality
from contracts.labels import EXPERIENCE_THEME_LABELS, SPECIALISM_LABELS
from contracts.text import CleanText, MunicipalityCode, ShortCode, SingleLine
from services.kit.dutch import today
from services.kit.region import check_served
from services.matching import store
from services.matching.http.common import Identifier, codes


def _postcode(value: str | None) -> str | None:
    """``3311``, ``3311AB`` or ``3311 AB`` → ``3311`` (matching uses the 4-digit area only)."""
    if value is None:
        return None
    text = value.strip().upper().replace(" ", "")
    if len(text) not in (4, 6) or not text[:4].isdigit() or text[0] == "0" or not (text[4:] or "AA").isalpha():
        raise ValueError(f"postcode must be 4 digits, optionally with 2 letters (e.g. 3311 AB), got {value!r}")
    return text[:4]


def _pause(value: date | None, info: ValidationInfo) -> date | None:
    if value is None:
        return None
    if info.data.get("availability") == "active":
        raise ValueError("paused_until goes with availability 'paused'")
    if value <= today():
        raise ValueError(f"paused_until must be a day after today ({today().isoformat()})")
    return value


class _SupporterChecks(CleanText):
    model_config = ConfigDict(extra="forbid")

    @field_validator("municipalities", check_fields=False)
    @classmethod
    def _municipalities(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(check_served(check_municipality(v)) for v in values))

    @field_validator("life_domains", check_fields=False)
    @classmethod
    def _life_domains(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else codes(values, LIFE_DOMAINS, "life domain")

    @field_validator("languages", check_fields=False)
    @classmethod
    def _languages(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else list(dict.fromkeys(check_languages(values)))

    @field_validator("specialisms", check_fields=False)
    @classmethod
    def _specialisms(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else codes(values, SPECIALISM_LABELS, "specialism")

    @field_validator("experience_themes", check_fields=False)
    @classmethod
    def _themes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else codes(values, EXPERIENCE_THEME_LABELS, "experience theme")

    @field_validator("postcode", check_fields=False)
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return _postcode(value)

    @field_validator("paused_until", check_fields=False)
    @classmethod
    def _paused_until(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _pause(value, info)


class SupporterIn(_SupporterChecks):
    """A new supporter. ``supporter_id`` is made up when left out."""

    supporter_id: Identifier | None = None
    name: Annotated[str, Field(min_length=1, max_length=200), SingleLine]
    email: EmailStr
    kind: SupporterKind
    organisation: Identifier
    municipalities: list[MunicipalityCode] = Field(min_length=1, max_length=50)
    life_domains: list[ShortCode] = Field(min_length=1, max_length=8)
    languages: list[ShortCode] = Field(default_factory=lambda: ["nl"], min_length=1, max_length=15)
    specialisms: list[ShortCode] = Field(default_factory=list, max_length=30)
    experience_themes: list[ShortCode] = Field(default_factory=list, max_length=30)
    capacity: int = Field(ge=0, le=200, description="most active cases at once")
    availability: Literal["active", "paused"] = "active"
    paused_until: date | None = Field(default=None, description="with availability 'paused': back on this day")
    postcode: str | None = Field(default=None, max_length=10, description="home postcode area, e.g. 3311")


class SupporterChanges(_SupporterChecks):
    """A change to a supporter: only the fields given change."""

    name: Annotated[str, Field(min_length=1, max_length=200), SingleLine] | None = None
    email: EmailStr | None = None
    kind: SupporterKind | None = None
    organisation: Identifier | None = None
    municipalities: list[MunicipalityCode] | None = Field(default=None, min_length=1, max_length=50)
    life_domains: list[ShortCode] | None = Field(default=None, min_length=1, max_length=8)
    languages: list[ShortCode] | None = Field(default=None, min_length=1, max_length=15)
    specialisms: list[ShortCode] | None = Field(default=None, max_length=30)
    experience_themes: list[ShortCode] | None = Field(default=None, max_length=30)
    capacity: int | None = Field(default=None, ge=0, le=200)
    availability: Literal["active", "paused"] | None = None
    paused_until: date | None = None
    postcode: str | None = Field(default=None, max_length=10)

    def columns(self) -> dict[str, Any]:
        """The columns to set; a pause date alone means paused, 'active' clears the pause."""
        given = self.model_dump(exclude_unset=True)
        changes = {k: v for k, v in given.items() if k not in ("availability", "paused_until") and v is not None}
        if "postcode" in given:
            changes["postcode"] = given["postcode"]
        if self.availability == "active":
            changes |= {"active": True, "paused_until": None}
        elif self.availability == "paused" or "paused_until" in given:
            changes |= availability_columns("paused", given.get("paused_until"))
        return changes


def availability_columns(availability: str, paused_until: date | None) -> dict[str, Any]:
    """Paused until a date: active with ``paused_until``; paused without a date: not active (stopped
    until a coordinator sets them active again); active: neither."""
    if availability == "active":
        return {"active": True, "paused_until": None}
    return {"active": paused_until is not None, "paused_until": paused_until}


class SupporterProfile(BaseModel):
    """A supporter in the pool, without contact details. ``active``: takes new questions now."""

    supporter_id: str
    name: str
    kind: str
    organisation: str
    municipalities: list[str]
    life_domains: list[str]
    languages: list[str]
    specialisms: list[str]
    experience_themes: list[str]
    capacity: int
    active_cases: int
    postcode: str | None
    active: bool
    availability: Literal["active", "paused"]
    paused_until: date | None

    @classmethod
    def of(cls, row: store.SupporterRow) -> SupporterProfile:
        return cls(**profile_fields(row))


def profile_fields(row: store.SupporterRow) -> dict[str, Any]:
    return {
        "supporter_id": row.id,
        "name": row.name,
        "kind": row.kind,
        "organisation": row.organisation,
        "municipalities": list(row.municipalities),
        "life_domains": list(row.life_domains),
        "languages": list(row.languages),
        "specialisms": list(row.specialisms),
        "experience_themes": list(row.experience_themes),
        "capacity": row.capacity,
        "active_cases": row.active_cases,
        "postcode": row.postcode,
        "active": row.available,
        "availability": row.availability,
        "paused_until": None if row.available else row.paused_until,
    }


class OpenCase(BaseModel):
    question_id: str
    assignment_id: str
    status: str
    assigned_at: datetime


class SupporterDetail(SupporterProfile):
    open_cases: list[OpenCase]
