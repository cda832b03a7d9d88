"""The web kit: what every service's pages share, written once.

- :mod:`.headers`: the security headers of every page and redirect;
- :mod:`.csrf`: one signed double-submit CSRF mechanism for residents' and staff forms;
- :mod:`.ratelimit`: a per-client limit for forms anyone may post;
- :mod:`.forms`: reading a posted form, bounded;
- :mod:`.sessions`: the session cookie over the server-side store (:mod:`services.kit.access.sessions`);
- :mod:`.staff`: a set of staff pages behind a sign-in (login, logout, rendering);
- :mod:`.templates`: the one Jinja environment factory; ``templates/`` holds the one base template;
- :mod:`.static`: the vendored NL Design System CSS, the one stylesheet (``static/samenloket.css``) and a
  service's page stylesheet;
- :mod:`.theme`: the region's look (theme tokens, logo, loket) on every page;
- :mod:`.vendor`: the build step of ``make vendor-css`` (never imported by a service);
- :mod:`.errors`: Dutch error pages for browsers, JSON for the API.

:func:`install` adds the stylesheets, the region's look and the error pages to a service's app
(``create_app`` calls it).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI

from services.kit.region import Loket
from services.kit.web import errors, static, theme


def install(app: FastAPI, package: str | None, region_file: str = "", loket: Loket | None = None) -> None:
    """Serve ``/static/`` (the kit's files, ``package``'s own, the region's theme and logo), render every
    page in the look of the region of ``region_file`` (empty: the demo region), with ``loket`` (the
    deployment's settings over the region file's) in the header and footer, and answer errors in Dutch
    to browsers."""
    look = theme.look_of(region_file)
    if loket is not None and loket != look.loket:
        look = replace(look, region=look.region.model_copy(update={"loket": loket}))
    app.state.look = look
    app.add_middleware(theme.LookScope, look=look)
    app.include_router(theme.router(look))
    app.include_router(static.router(package))
    errors.add_error_pages(app)
