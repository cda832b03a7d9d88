"""The headers of every page: a strict Content-Security-Policy and friends, and no caching.

Pages need no inline script or style and load nothing from elsewhere, so ``default-src 'self'``
holds. Every page response and every redirect of a page is made here, so no page can forget them.
"""

from __future__ import annotations

from typing import Final

from fastapi.responses import HTMLResponse, RedirectResponse

SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
#: For personal pages (a private link): search engines must not keep them.
NOINDEX: Final[dict[str, str]] = {"X-Robots-Tag": "noindex, nofollow"}


def page(html: str, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """An HTML page with the security headers (plus ``headers``)."""
    return HTMLResponse(html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})


def redirect(url: str) -> RedirectResponse:
    """After a POST: 303 See Other to ``url`` (a path of this site), with the security headers."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
