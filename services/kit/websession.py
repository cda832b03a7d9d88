"""Staff sign-in for server-rendered pages: a signed session cookie holding the API key, and CSRF tokens.

Staff sign in once with their API key. The key is kept in a session cookie that is HttpOnly,
SameSite=Strict, limited to the pages' path and signed with a key derived from the internal token
(a context string per page set, so a cookie of one service's pages is worthless on another's). The
key inside is checked against the key store on every request, so a revoked key stops working at once
(within the store's short cache). Every POST carries a CSRF token: a signed double-submit token in its
own cookie and a hidden field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from fastapi import Request, Response

from services.kit.access import Principal

if TYPE_CHECKING:
    from services.kit.runtime import Runtime

CSRF_FIELD: Final = "csrf_token"
MAX_BODY_BYTES: Final = 16 * 1024

SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Signer:
    """HMAC signatures for session and CSRF cookies, with a key derived from the internal token.

    Without an internal token (a bare development run) a random key per process is used: sessions
    then end on restart, which only means signing in again.
    """

    def __init__(self, secret: str, context: str = "samenloket/web/v1") -> None:
        self.key = (
            hmac.new(secret.encode(), context.encode(), hashlib.sha256).digest() if secret else secrets.token_bytes(32)
        )

    def sign(self, body: str) -> str:
        return f"{body}.{hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()}"

    def verify(self, token: str | None, max_age: float, now: float | None = None) -> str | None:
        """The signed body when the signature is good and the token not older than ``max_age``, else None."""
        if not token or len(token) > 600:
            return None
        body, _, signature = token.rpartition(".")
        issued = body.split(".", 1)[0]
        expected = hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()
        if not issued.isdigit() or not hmac.compare_digest(signature, expected):
            return None
        age = (now if now is not None else time.time()) - int(issued)
        return body if -60 <= age <= max_age else None


@dataclass(frozen=True)
class SessionConfig:
    """One set of pages: its path (the cookies' path), cookie names, signing context and admitted scopes."""

    path: str
    session_cookie: str
    csrf_cookie: str
    context: str
    scopes: tuple[str, ...]
    #: A working day; then staff sign in again.
    session_seconds: int = 10 * 3600
    csrf_seconds: int = 12 * 3600


class WebSession:
    """Sessions and CSRF tokens of one set of pages in one service process."""

    def __init__(self, rt: Runtime, config: SessionConfig) -> None:
        self.rt = rt
        self.config = config
        self.signer = Signer(rt.settings.internal_token.get_secret_value(), config.context)
        self.secure = rt.settings.web_cookie_secure

    # --- the session ---

    def session_value(self, api_key: str) -> str:
        encoded = base64.urlsafe_b64encode(api_key.encode()).decode()
        return self.signer.sign(f"{int(time.time())}.{encoded}")

    async def principal(self, request: Request) -> Principal | None:
        """The signed-in caller of this browser, or None (signed out, expired, revoked, lacking the scope)."""
        body = self.signer.verify(request.cookies.get(self.config.session_cookie), self.config.session_seconds)
        if body is None:
            return None
        try:
            api_key = base64.urlsafe_b64decode(body.split(".", 1)[1]).decode()
        except (IndexError, ValueError, binascii.Error):
            return None
        return await self.authenticate(api_key)

    async def authenticate(self, api_key: str) -> Principal | None:
        """The key's principal when the key is valid and has one of the pages' scopes."""
        keys = self.rt.keys
        principal = await keys.authenticate(api_key) if keys else None
        return principal if principal and principal.has(*self.config.scopes) else None

    def sign_in(self, response: Response, api_key: str) -> None:
        self.set_cookie(response, self.config.session_cookie, self.session_value(api_key), self.config.session_seconds)

    def sign_out(self, response: Response) -> None:
        response.delete_cookie(
            self.config.session_cookie, path=self.config.path, secure=self.secure, httponly=True, samesite="strict"
        )

    # --- CSRF ---

    def csrf_token(self, request: Request) -> str:
        """The browser's valid CSRF token, or a fresh one."""
        existing = request.cookies.get(self.config.csrf_cookie)
        if existing and self.signer.verify(existing, self.config.csrf_seconds):
            return existing
        return self.signer.sign(f"{int(time.time())}.{secrets.token_urlsafe(18)}")

    def csrf_ok(self, request: Request, submitted: str | None) -> bool:
        cookie = request.cookies.get(self.config.csrf_cookie)
        if not cookie or not submitted or not hmac.compare_digest(cookie.encode(), submitted.encode()):
            return False
        return self.signer.verify(cookie, self.config.csrf_seconds) is not None

    def set_csrf(self, response: Response, token: str) -> None:
        self.set_cookie(response, self.config.csrf_cookie, token, self.config.csrf_seconds)

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path=self.config.path, secure=self.secure, httponly=True, samesite="strict"
        )


async def form_values(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, str] | None:
    """The posted form (first value per field), or None when it is too large."""
    if int(request.headers.get("content-length") or 0) > max_bytes:
        return None
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}
