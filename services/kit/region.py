"""The region a deployment serves, from its region file (binding: ARCHITECTURE's "region file").

A region file (TOML) names the region, its municipalities (CBS code and name), the loket people
can reach, the organisations that give support (display names, whether they decide on provisions,
their coordinators' address, website), optionally a table of 4-digit postcode centroids for
distances, the theme of every page, and the links to the privacy and accessibility statements.
Contracts validate the *format* of codes; which municipalities a deployment serves comes from here.

``SAMENLOKET_REGION_FILE`` (``samenloket up --region FILE``) names the file; without it the demo
region Drechtsteden (``regions/drechtsteden.toml``, shipped in the package) is served.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator

MunicipalityCode = Annotated[str, Field(pattern=r"^GM[0-9]{4}$", description="CBS municipality code")]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="a colour as #rrggbb")]
OrganisationId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Municipality(_Section):
    code: MunicipalityCode
    name: str = Field(min_length=1, max_length=100)


class Loket(_Section):
    """The loket residents and supporters can reach: named on every page and in every mail."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=200, description="visiting address")
    opening_hours: str = Field(default="", max_length=200)


class Organisation(_Section):
    id: OrganisationId
    name: str = Field(min_length=1, max_length=200, description="the display name people read")
    independent: bool = Field(default=True, description="false: it also decides on provisions (e.g. a wijkteam)")
    coordinator_email: str = Field(default="", max_length=200)
    website: HttpUrl | None = None


class Referrer(_Section):
    """A partner that refers residents (a GP practice, a school, a wijkteam): its name in mails and reports."""

    id: OrganisationId
    name: str = Field(min_length=1, max_length=200)


class Theme(_Section):
    """What makes a region's pages its own; every colour must keep text readable (WCAG AA)."""

    brand_color: Color = "#154273"
    brand_text_color: Color = "#ffffff"
    accent_color: Color = "#ffb612"
    logo: str = Field(default="", max_length=200, description="an SVG file next to the region file; empty: the name")


class Statements(_Section):
    privacy_url: HttpUrl | None = None
    accessibility_url: HttpUrl | None = None


class DemoOrganisation(_Section):
    """How many demo supporters an organisation gets, and of which kinds (``samenloket up --demo``)."""

    id: OrganisationId
    supporters: int = Field(ge=0, le=500)
    kinds: list[Literal["professional", "volunteer", "experience_expert"]] = Field(min_length=1)


class Demo(_Section):
    """What ``samenloket up --demo`` makes of the region (a deployment leaves this out)."""

    #: The municipality most demo supporters and residents live in, and how the others weigh.
    weights: dict[MunicipalityCode, int] = Field(min_length=1)
    #: 4-digit postcode areas per municipality, for demo residents and supporters.
    postcodes: dict[MunicipalityCode, list[Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")]]] = Field(min_length=1)
    organisations: list[DemoOrganisation] = Field(min_length=1)
    #: The municipality of the demo signal desk's key (``demo_keys.desk``).
    desk: MunicipalityCode


class Region(_Section):
    name: str = Field(min_length=1, max_length=100)
    municipalities: list[Municipality] = Field(min_length=1, max_length=400)
    loket: Loket
    organisations: list[Organisation] = Field(default_factory=list, max_length=1000)
    referrers: list[Referrer] = Field(default_factory=list, max_length=1000)
    #: 4-digit postcode → (latitude, longitude); postcodes not listed fall back to matching's numeric proxy.
    postcodes: dict[Annotated[str, Field(pattern=r"^[1-9][0-9]{3}$")], tuple[float, float]] = Field(
        default_factory=dict
    )
    theme: Theme = Field(default_factory=Theme)
    statements: Statements = Field(default_factory=Statements)
    demo: Demo | None = None

    @field_validator("municipalities")
    @classmethod
    def _unique_codes(cls, values: list[Municipality]) -> list[Municipality]:
        codes = [m.code for m in values]
        if len(set(codes)) != len(codes):
            raise ValueError("a municipality code appears twice")
        return values

    @model_validator(mode="after")
    def _demo_fits(self) -> Region:
        """The demo names only municipalities and organisations of this region."""
        if self.demo is None:
            return self
        served, known = set(self.municipality_names), {o.id for o in self.organisations}
        places = {*self.demo.weights, *self.demo.postcodes, self.demo.desk}
        if places - served:
            raise ValueError(f"demo names municipalities the region does not serve: {sorted(places - served)}")
        if served - set(self.demo.postcodes):
            raise ValueError(f"demo.postcodes lacks {sorted(served - set(self.demo.postcodes))}")
        unknown = {o.id for o in self.demo.organisations} - known
        if unknown:
            raise ValueError(f"demo names organisations not listed under organisations: {sorted(unknown)}")
        return self

    @property
    def municipality_names(self) -> dict[str, str]:
        return {m.code: m.name for m in self.municipalities}

    def serves(self, code: str) -> bool:
        return code in self.municipality_names

    @property
    def organisation_names(self) -> dict[str, str]:
        return {**{r.id: r.name for r in self.referrers}, **{o.id: o.name for o in self.organisations}}

    def municipality_name(self, code: str | None, empty: str = "onbekend") -> str:
        """The name people read for a CBS code; the code itself for one this region does not serve."""
        return self.municipality_names.get(code, code) if code else empty

    def organisation_name(self, org_id: str | None, empty: str = "") -> str:
        """The display name of an organisation or referrer; for one the region file does not list, its
        id made readable (``huisarts-dordrecht`` → ``Huisarts Dordrecht``), never the bare id."""
        if not org_id:
            return empty
        known = self.organisation_names.get(org_id)
        return known if known is not None else readable_id(org_id)

    def organisation(self, org_id: str) -> Organisation | None:
        return next((o for o in self.organisations if o.id == org_id), None)

    def loket_with(self, name: str = "", phone: str = "", email: str = "") -> Loket:
        """The loket as people read it: the region file's, with what a deployment's settings say instead
        (``SAMENLOKET_LOKET_*``; the settings' default name ``Samenloket`` says nothing)."""
        name = name if name and name != "Samenloket" else self.loket.name
        return self.loket.model_copy(
            update={"name": name, "phone": phone or self.loket.phone, "email": email or self.loket.email}
        )


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    """``municipalities.2.code: …``; a rule on the whole file without a place."""
    message = message.removeprefix("Value error, ")
    return f"{'.'.join(str(p) for p in loc)}: {message}" if loc else message


def readable_id(org_id: str) -> str:
    """``huisarts-dordrecht`` → ``Huisarts Dordrecht``: the last resort for an organisation not listed."""
    words = re.split(r"[-_.:]+", org_id)
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or org_id


class RegionFileError(ValueError):
    """A region file that cannot be read or does not validate; the message names the place."""


DEFAULT_REGION = "drechtsteden.toml"


def load_region(path: Path | None = None) -> Region:
    """The region of ``path``, or the shipped demo region; raise RegionFileError saying what is wrong."""
    if path is None:
        text = resources.files("regions").joinpath(DEFAULT_REGION).read_text(encoding="utf-8")
        where = f"regions/{DEFAULT_REGION}"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RegionFileError(f"{path}: cannot be read ({exc.strerror})") from None
        where = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegionFileError(f"{where}: {exc}") from None  # tomllib names the line and column
    try:
        return Region.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(e["loc"], e["msg"]) for e in exc.errors())
        raise RegionFileError(f"{where}: {problems}") from None


@cache
def region_of(path: str = "") -> Region:
    """The region of a deployment, read once per process (``path`` empty: the shipped demo region)."""
    return load_region(Path(path) if path else None)


#: The region of the service handling this request or event (set per app: :func:`use_region`).
_active: ContextVar[Region | None] = ContextVar("samenloket_region", default=None)


def check_served(code: str) -> str:
    """``code`` when the region at work serves it; else ValueError naming the ones it does (a 422 in a
    request model: services' request models use it after the contract's format check)."""
    region = current_region()
    if not region.serves(code):
        served = ", ".join(sorted(region.municipality_names))
        raise ValueError(f"municipality {code!r} is not served by region {region.name}; allowed: {served}")
    return code


def use_region(region: Region) -> None:
    """Serve ``region`` in this context and the tasks it starts (an app's requests and its consumers)."""
    _active.set(region)


def current_region() -> Region:
    """The region of the app at work; outside one, that of ``SAMENLOKET_REGION_FILE`` (or the demo)."""
    return _active.get() or region_of(os.environ.get("SAMENLOKET_REGION_FILE", ""))
