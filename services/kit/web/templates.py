"""One Jinja environment factory for every service's pages.

An environment loads a service's own templates first and then the kit's shared ones (``base.html``,
the staff layout, login, message and error pages, form macros), autoescapes, and refuses a missing
value instead of printing a blank (StrictUndefined). Every environment has the same filters (Dutch
dates; place and organisation names of the region served), the ``asset()`` global that links the
stylesheets, and ``current_look()``: the region's look (loket, statements, theme, logo) that
``base.html`` shows (:mod:`.theme`). ``layout`` is the template the kit's shared pages extend:
``base.html``, or a service's own layout that extends it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from services.kit.dutch import DUTCH_TIME, dutch_date
from services.kit.region import current_region
from services.kit.web.static import KIT, assets
from services.kit.web.theme import current as current_look


def place_name(code: str | None, empty: str = "onbekend") -> str:
    """A municipality's name for its CBS code (from the region served); ``empty`` for none."""
    return current_region().municipality_name(code, empty)


def organisation_name(org_id: str | None, empty: str = "") -> str:
    """An organisation's (or referrer's) display name from the region file, never its id."""
    return current_region().organisation_name(org_id, empty)


def dutch_datetime(moment: datetime | None) -> str:
    """``23 november 2026, 14:05`` in Dutch time; ``""`` for none."""
    if moment is None:
        return ""
    return f"{dutch_date(moment)}, {moment.astimezone(DUTCH_TIME):%H:%M}"


def optional_date(moment: datetime | date | None) -> str:
    return dutch_date(moment) if moment is not None else ""


FILTERS: Final[dict[str, Callable[..., Any]]] = {
    "dutch_date": optional_date,
    "dutch_datetime": dutch_datetime,
    "place_name": place_name,
    "organisation_name": organisation_name,
}


def environment(
    package: str | None = None,
    folder: str = "templates",
    layout: str = "base.html",
    filters: dict[str, Callable[..., Any]] | None = None,
) -> Environment:
    """The environment of ``package``'s pages (its ``folder``), or of the kit's own pages when None."""
    loaders = [PackageLoader(package, folder)] if package else []
    env = Environment(
        loader=ChoiceLoader([*loaders, PackageLoader(KIT, "templates")]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.filters.update(filters or {})
    env.globals.update(asset=assets(package).url, layout=layout, current_look=current_look)
    return env
