"""Signed-in pages: the session cookie over the server-side session store.

The cookie holds a random session id and nothing else: never a key. It is HttpOnly, SameSite=Strict,
limited to the pages' path and Secure when ``web_cookie_secure`` is set. The session itself lives in
PostgreSQL (:mod:`services.kit.access.sessions`): logout deletes it, revoking the key ends it, and it
ends by itself after ``web_session_idle_minutes`` without a request and ``web_session_hours`` after
sign-in. A session belongs to one set of pages (its ``audience``), so a cookie of the dashboard opens
nothing on the consultation page.

Today staff sign in with an API key (:meth:`WebSessions.authenticate`, then :meth:`WebSessions.start`
with ``Subject.of_key``). A supporter's e-mail link or an organisation's OpenID Connect login would
call :meth:`WebSessions.start` with a subject of their own kind; the pages do not change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from fastapi import Request, Response

from services.kit.access import Principal
from services.kit.access import sessions as store
from services.kit.access.sessions import Lifetimes, Subject

if TYPE_CHECKING:
    from services.kit.runtime import Runtime


def utc_now() -> datetime:
    return datetime.now(UTC)


class WebSessions:
    """The sessions of one set of pages (``audience``) at ``path``, admitting callers with one of ``scopes``."""

    def __init__(
        self,
        rt: Runtime,
        audience: str,
        cookie: str,
        path: str,
        scopes: tuple[str, ...],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        settings = rt.settings
        self.rt = rt
        self.audience = audience
        self.secure = settings.web_cookie_secure
        # __Secure- (not __Host-) so the cookie can stay limited to the pages' path.
        self.cookie = f"__Secure-{cookie}" if self.secure else cookie
        self.path = path
        self.scopes = scopes
        self.clock = clock
        self.lifetimes = Lifetimes(
            idle=timedelta(minutes=settings.web_session_idle_minutes),
            absolute=timedelta(hours=settings.web_session_hours),
        )

    async def principal(self, request: Request) -> Principal | None:
        """The signed-in caller of this browser, or None (signed out, ended, revoked, lacking the scope)."""
        session_id = request.cookies.get(self.cookie)
        if not session_id:
            return None
        session = await store.find_session(self.rt.db, session_id, self.audience, self.lifetimes, self.clock())
        principal = session.principal() if session else None
        return principal if principal and principal.has(*self.scopes) else None

    async def authenticate(self, api_key: str) -> Principal | None:
        """The key's principal when the key is valid and has one of the pages' scopes."""
        keys = self.rt.keys
        principal = await keys.authenticate(api_key) if keys else None
        return principal if principal and principal.has(*self.scopes) else None

    async def start(self, request: Request, response: Response, subject: Subject) -> None:
        """Sign ``subject`` in: a new session, its id in the cookie of ``response``.

        A session this browser still had ends first, so an id planted before sign-in is worth nothing.
        """
        earlier = request.cookies.get(self.cookie)
        if earlier:
            await store.end_session(self.rt.db, earlier)
        session_id = await store.open_session(self.rt.db, subject, self.audience, self.lifetimes, self.clock())
        response.set_cookie(
            self.cookie,
            session_id,
            max_age=int(self.lifetimes.absolute.total_seconds()),
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )

    async def end(self, request: Request, response: Response) -> None:
        """Sign out: the session is deleted and the cookie cleared."""
        session_id = request.cookies.get(self.cookie)
        if session_id:
            await store.end_session(self.rt.db, session_id)
        response.delete_cookie(self.cookie, path=self.path, secure=self.secure, httponly=True, samesite="strict")
