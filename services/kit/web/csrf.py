"""One CSRF mechanism for every form, of residents and of staff: a signed double-submit token.

The token ``<issued>.<nonce>.<hmac>`` is set in a cookie (HttpOnly, SameSite=Strict, limited to the
pages' path) and repeated in a hidden field of each form. A POST is admitted only when the cookie and
the field carry the same token and its signature and age are good. Another site can neither read the
cookie nor plant one (the signature stops planted cookies), and SameSite=Strict stops it besides.

Each set of pages signs with its own key, derived from the internal token and a context string, so a
token of one set is worthless at another. :class:`CsrfTokens` is pure and takes its clock, so tests
need no sleeps; :class:`CsrfCookie` binds it to a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Final

from fastapi import Request, Response

from services.kit.http import same_secret

#: The hidden field of every form.
CSRF_FIELD: Final = "csrf_token"


def csrf_key(secret: str, context: str = "samenloket/web/csrf/v1") -> bytes:
    """The HMAC key of one set of pages, derived from ``secret`` (the internal token) and ``context``.

    Without a secret (a bare development run) a random key per process is used: tokens then stop
    being valid on restart, which only means loading the form again.
    """
    if not secret:
        return secrets.token_bytes(32)
    return hmac.new(secret.encode(), context.encode(), hashlib.sha256).digest()


class CsrfTokens:
    """Issue and check signed tokens: ``<issued>.<nonce>.<hmac>``, good for ``max_age`` seconds."""

    def __init__(self, key: bytes, max_age: float = 24 * 3600, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self.max_age = max_age
        self._clock = clock

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        body = f"{int(self._clock())}.{secrets.token_urlsafe(18)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, token: str | None) -> bool:
        if not token or len(token) > 200:
            return False
        body, _, signature = token.rpartition(".")
        issued, _, nonce = body.partition(".")
        if not (issued.isdigit() and nonce and signature):
            return False
        if not same_secret(signature, self._sign(body)):
            return False
        age = self._clock() - int(issued)
        return -60 <= age <= self.max_age

    def check(self, cookie: str | None, submitted: str | None) -> bool:
        """True when the form's token equals the cookie's and is genuine and fresh."""
        if not cookie or not submitted:
            return False
        return same_secret(cookie, submitted) and self.valid(cookie)


class CsrfCookie:
    """The tokens of one set of pages, kept in the cookie ``name`` on ``path``."""

    def __init__(self, tokens: CsrfTokens, name: str, path: str, secure: bool) -> None:
        self.tokens = tokens
        self.name = name
        self.path = path
        self.secure = secure

    def token_for(self, request: Request) -> str:
        """The browser's current token when still good (several open tabs keep working), else a new one."""
        existing = request.cookies.get(self.name)
        return existing if existing and self.tokens.valid(existing) else self.tokens.issue()

    def ok(self, request: Request, submitted: str | None) -> bool:
        return self.tokens.check(request.cookies.get(self.name), submitted)

    def set(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.name,
            token,
            max_age=int(self.tokens.max_age),
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
