"""The region's look on every page: its theme as NL Design System tokens, its logo, its loket.

A deployment serves one region (:mod:`services.kit.region`); :func:`install` gives each service's app
the :class:`Look` of ``settings.region_file``:

- ``GET /static/regio.css``: the region's colours as CSS custom properties on ``.samenloket-theme``
  (the ``--basis-color-*`` tokens every Utrecht component reads, and the ``--utrecht-*`` tokens of the
  page header, buttons and links by name), loaded after the vendored design tokens so they win;
- ``GET /static/regio-logo.svg``: the region's logo (an SVG file next to the region file), shown in the
  page header as an image (scripts in an SVG never run in an ``<img>``; the file itself is served with a
  Content-Security-Policy that allows none either); without one the header shows the loket's name alone.

The base template asks :func:`current` for the look of the app that serves the request (a middleware
sets it per request), so templates and environments shared by several apps in one process never mix
regions. Colours are kept readable whatever the region file says: a brand colour too light for white
text or for links on white is darkened until it reaches WCAG AA (4.5:1).
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from fastapi import APIRouter, HTTPException, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kit.region import Loket, Region, Statements, region_of, use_region

CSS_PATH: Final = "/static/regio.css"
LOGO_PATH: Final = "/static/regio-logo.svg"
#: The largest logo file served (a logo is a small drawing, not a photo).
MAX_LOGO_BYTES: Final = 200_000
AA: Final = 4.5
WHITE: Final = "#ffffff"
BLACK: Final = "#000000"


def _channels(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(color: str, other: str, share: float) -> str:
    """``color`` with ``share`` (0..1) of ``other`` mixed in."""
    return "#" + "".join(
        f"{round(c * (1 - share) + o * share):02x}" for c, o in zip(_channels(color), _channels(other), strict=True)
    )


def readable_on(color: str, background: str) -> str:
    """``color``, darkened just enough to read on ``background`` (4.5:1)."""
    share = 0.0
    while contrast(mix(color, BLACK, share), background) < AA and share < 1:
        share += 0.05
    return mix(color, BLACK, min(share, 1.0))


@dataclass(frozen=True)
class Colours:
    """The colours a page uses, derived from a region's theme and kept readable."""

    brand: str  #: page header and primary buttons
    on_brand: str  #: text on ``brand``
    brand_hover: str
    link: str  #: links and secondary buttons on white
    link_hover: str
    accent: str  #: the band under the page header (decoration only)

    @classmethod
    def of(cls, brand_color: str, text_color: str, accent_color: str) -> Colours:
        on_brand = text_color
        brand = brand_color
        if contrast(brand, on_brand) < AA:
            on_brand = max((WHITE, BLACK, text_color), key=lambda c: contrast(brand, c))
            if contrast(brand, on_brand) < AA:  # a mid-tone: darken it under white text
                on_brand, brand = WHITE, readable_on(brand, WHITE)
        darker = BLACK if luminance(on_brand) > luminance(brand) else WHITE
        link = readable_on(brand_color, WHITE)
        return cls(
            brand=brand,
            on_brand=on_brand,
            brand_hover=mix(brand, darker, 0.25),
            link=link,
            link_hover=mix(link, BLACK, 0.35),
            accent=accent_color,
        )


def theme_css(region: Region) -> str:
    """The region's theme as CSS custom properties (design tokens) on ``.samenloket-theme``."""
    theme = region.theme
    c = Colours.of(theme.brand_color, theme.brand_text_color, theme.accent_color)
    tokens = {
        # Our own tokens (samenloket.css reads these).
        "--sl-color-brand": c.brand,
        "--sl-color-on-brand": c.on_brand,
        "--sl-color-brand-hover": c.brand_hover,
        "--sl-color-accent": c.accent,
        "--sl-color-link": c.link,
        "--sl-color-link-hover": c.link_hover,
        # The NL Design System's basis layer: every Utrecht component's colours follow from these.
        "--basis-color-action-1-inverse-bg-default": c.brand,
        "--basis-color-action-1-inverse-bg-hover": c.brand_hover,
        "--basis-color-action-1-inverse-bg-active": c.brand_hover,
        "--basis-color-action-1-inverse-color-default": c.on_brand,
        "--basis-color-action-1-inverse-color-hover": c.on_brand,
        "--basis-color-action-1-inverse-color-active": c.on_brand,
        "--basis-color-action-1-color-default": c.link,
        "--basis-color-action-1-color-hover": c.link_hover,
        "--basis-color-action-1-color-active": c.link_hover,
        "--basis-color-action-1-border-default": c.link,
        "--basis-color-action-1-border-hover": c.link_hover,
        "--basis-color-action-1-border-active": c.link_hover,
        "--basis-color-action-2-color-default": c.link,
        "--basis-color-action-2-color-hover": c.link_hover,
        "--basis-color-action-2-color-active": c.link_hover,
        # The Utrecht components' own tokens, by name.
        "--utrecht-page-header-background-color": c.brand,
        "--utrecht-page-header-color": c.on_brand,
        "--utrecht-button-primary-action-background-color": c.brand,
        "--utrecht-button-primary-action-color": c.on_brand,
        "--utrecht-button-primary-action-hover-background-color": c.brand_hover,
        "--utrecht-button-primary-action-hover-color": c.on_brand,
        "--utrecht-button-secondary-action-color": c.link,
        "--utrecht-button-secondary-action-border-color": c.link,
        "--utrecht-link-color": c.link,
        "--utrecht-link-hover-color": c.link_hover,
        "--utrecht-link-visited-color": c.link,
        "--utrecht-radio-button-checked-background-color": c.link,
        "--utrecht-radio-button-checked-border-color": c.link,
        "--utrecht-checkbox-checked-background-color": c.link,
        "--utrecht-checkbox-checked-border-color": c.link,
    }
    body = "".join(f"  {name}: {value};\n" for name, value in tokens.items())
    head = f"/* The theme of {region.name}: generated from its region file (services/kit/web/theme.py). */\n"
    return f"{head}.samenloket-theme {{\n{body}}}\n"


def _logo(region_file: str, name: str) -> bytes | None:
    """The logo's SVG next to the region file (the shipped demo region: in ``regions/``), or None."""
    if not name:
        return None
    folder: Traversable = Path(region_file).parent if region_file else resources.files("regions")
    path = folder.joinpath(name)
    if not name.lower().endswith(".svg") or not path.is_file():
        raise ValueError(f"the region's logo {name!r} is not an SVG file next to the region file")
    data = path.read_bytes()
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError(f"the region's logo {name!r} is larger than {MAX_LOGO_BYTES} bytes")
    return data


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


@dataclass(frozen=True)
class Look:
    """What the base template shows of a region: its loket, statements, theme and logo."""

    region: Region
    css: str
    logo: bytes | None

    @property
    def loket(self) -> Loket:
        return self.region.loket

    @property
    def statements(self) -> Statements:
        return self.region.statements

    @property
    def css_url(self) -> str:
        return f"{CSS_PATH}?v={_version(self.css.encode())}"

    @property
    def logo_url(self) -> str:
        return f"{LOGO_PATH}?v={_version(self.logo)}" if self.logo else ""

    @property
    def phone_href(self) -> str:
        return "tel:" + "".join(ch for ch in self.loket.phone if ch.isdigit() or ch == "+")


@cache
def look_of(region_file: str = "") -> Look:
    region = region_of(region_file)
    return Look(region, theme_css(region), _logo(region_file, region.theme.logo))


_current: ContextVar[Look | None] = ContextVar("samenloket_look", default=None)


@cache
def _default() -> Look:
    from services.kit.settings import Settings

    return look_of(Settings().region_file)


def current() -> Look:
    """The look of the app serving this request; outside a request, that of this process's settings."""
    return _current.get() or _default()


class LookScope:
    """ASGI middleware: every request of this app renders with ``look`` (see :func:`current`)."""

    def __init__(self, app: ASGIApp, look: Look) -> None:
        self.app = app
        self.look = look

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Not reset afterwards: each request runs in a context of its own, and an error page
            # rendered by the outermost middleware after a crash must still see the region.
            _current.set(self.look)
            use_region(self.look.region)
        await self.app(scope, receive, send)


def router(look: Look) -> APIRouter:
    """``GET /static/regio.css`` and ``GET /static/regio-logo.svg`` of ``look``."""
    r = APIRouter(include_in_schema=False)
    cached = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}

    @r.get(CSS_PATH)
    async def region_css() -> Response:
        return Response(look.css, media_type="text/css; charset=utf-8", headers=cached)

    @r.get(LOGO_PATH)
    async def region_logo() -> Response:
        if look.logo is None:
            raise HTTPException(404, "no logo")
        headers = {**cached, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"}
        return Response(look.logo, media_type="image/svg+xml", headers=headers)

    return r
