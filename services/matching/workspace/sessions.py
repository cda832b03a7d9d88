"""Who is signed in to the supporters' pages: a server-side session of a supporter, whatever way they
signed in.

The pages ask only :meth:`SupporterSessions.current` and never how the supporter signed in. Today the
single-use e-mail link (:mod:`.signin_pages`) calls :meth:`SupporterSessions.start`; an organisation's
OpenID Connect login would be one more module whose callback finds the supporter (by the provider's
subject or verified e-mail, within that organisation) and calls the same :meth:`start`. The session
then has the subject kind ``oidc`` instead of ``supporter``; the pages, the cases and the checks below
stay as they are.

Every request checks the supporter again: a supporter who was removed from the pool, or moved to
another organisation, loses the session at their next click (it is ended and audited). A paused
supporter keeps signing in: they still have their current cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import Request, Response

from services.kit.access.sessions import Subject, SubjectKind, end_sessions_of
from services.kit.runtime import Runtime
from services.kit.web.sessions import WebSessions
from services.matching.store import sign_in as store
from services.matching.workspace.signin import PATH, audit_key, client_hash

AUDIENCE: Final = "mijn-vragen"
SCOPE: Final = "supporter"
#: The ways a supporter can be signed in: the e-mail link today, OpenID Connect later.
SIGN_IN_KINDS: Final[tuple[SubjectKind, ...]] = ("supporter", "oidc")


@dataclass(frozen=True)
class SignedIn:
    """The supporter using the pages now."""

    supporter_id: str
    organisation: str
    name: str


class SupporterSessions:
    """The sessions of the supporters' pages (audience ``mijn-vragen``, cookies on ``/mijn-vragen``)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.web = WebSessions(rt, AUDIENCE, "mijn_vragen_sessie", PATH, (SCOPE,))
        self._audit_key = audit_key(rt.settings.internal_token.get_secret_value())

    def client(self, request: Request) -> str:
        """The keyed hash of this request's client address, as the audit names it."""
        return client_hash(self._audit_key, request.client.host if request.client else "unknown")

    async def current(self, request: Request) -> SignedIn | None:
        """The signed-in supporter, or None (no session, ended, or the supporter is gone or moved)."""
        principal = await self.web.principal(request)
        if principal is None:
            return None
        async with self.rt.db.acquire() as conn:
            found = await store.supporter(conn, principal.key_id)
            if found is not None and found.organisation == principal.organisation:
                return SignedIn(found.id, found.organisation, found.name)
            for kind in SIGN_IN_KINDS:
                await end_sessions_of(conn, kind, principal.key_id)
            await store.audit(
                conn,
                "session_refused",
                self.client(request),
                supporter_id=principal.key_id,
                organisation=principal.organisation,
                detail="supporter removed" if found is None else "supporter moved to another organisation",
            )
        return None

    async def start(
        self, request: Request, response: Response, supporter: SignedIn, kind: SubjectKind = "supporter"
    ) -> None:
        """Sign the supporter in: a new session for their organisation, its id in the cookie of ``response``."""
        subject = Subject(kind, supporter.supporter_id, supporter.organisation, frozenset({SCOPE}))
        await self.web.start(request, response, subject)

    async def end(self, request: Request, response: Response) -> None:
        await self.web.end(request, response)
