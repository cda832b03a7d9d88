"""Signing in to the supporters' pages with a single-use e-mail link, and signing out.

1. ``GET /mijn-vragen/inloggen``: the supporter types their e-mail address.
2. ``POST`` the same: whatever the address, the same page answers ("look in your mail"). For a known
   address the link is made and its hash stored; notifications gets it in the background, so the answer
   never waits for the mail and a known address takes about as long as an unknown one (one audit row
   each; a known one adds one small insert). Limited per client and per address; every request is
   audited (by a keyed hash of the client, never the IP; an unknown address is not kept).
3. The mail's link ``GET /mijn-vragen/inloggen/{token}`` shows one button: a mail scanner that opens
   links does not use up the link. Its ``POST`` uses the link (once, within 15 minutes), opens the
   session and goes on to the page the supporter wanted. An unknown, used or expired link gets one and
   the same page that says to ask for a new one.
4. ``POST /mijn-vragen/uitloggen`` ends the session.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from services.kit.web.forms import first
from services.kit.web.headers import redirect
from services.matching.store import sign_in as store
from services.matching.workspace.pages import Workspace
from services.matching.workspace.sessions import SignedIn
from services.matching.workspace.signin import (
    LINK_LIFETIME,
    PATH,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    TOKEN,
    address_key,
    email_problem,
    link_url,
    new_token,
    safe_return,
    token_hash,
)

LINK_GONE: Final = (
    "Deze link werkt niet meer",
    [
        "Een link om in te loggen werkt 15 minuten, en maar één keer. "
        "Misschien is de link te oud, of heeft u hem al gebruikt.",
        "Vraag hieronder een nieuwe link aan. U krijgt hem meteen in uw e-mail.",
    ],
)


def router(ws: Workspace) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def form(request: Request, back: str, status_code: int = 200, email: str = "", error: str = "") -> HTMLResponse:
        return ws.render(
            request,
            "mijn_inloggen.html",
            status_code,
            title=("Fout: " if error else "") + "Inloggen – Mijn vragen",
            back=back,
            email=email,
            error=error,
            signed_out=request.query_params.get("uitgelogd") == "ja",
        )

    def too_many(request: Request, wait: int) -> HTMLResponse:
        minutes = max(1, -(-wait // 60))
        response = ws.message(
            request,
            429,
            "Even wachten, alstublieft",
            [
                "Er zijn in korte tijd te veel links gevraagd. Er is nu geen nieuwe link verstuurd.",
                f"Probeer het over {minutes} {'minuut' if minutes == 1 else 'minuten'} opnieuw. "
                "Kijk ook in uw e-mail: misschien is er al een link.",
            ],
            link=(SIGN_IN_PATH, "Terug naar inloggen"),
        )
        response.headers["Retry-After"] = str(wait)
        return response

    @r.get(SIGN_IN_PATH, response_class=HTMLResponse)
    async def sign_in_form(request: Request, terug: str | None = None) -> Response:
        back = safe_return(terug)
        if await ws.sessions.current(request) is not None:
            return redirect(back)
        return form(request, back)

    @r.post(SIGN_IN_PATH, response_class=HTMLResponse)
    async def ask_for_link(request: Request) -> Response:
        values = await ws.admit(request)
        if isinstance(values, Response):
            return values
        back = safe_return(first(values, "terug"))
        email = first(values, "email")
        client = ws.sessions.client(request)
        wait = ws.client_limit.take("client:" + client)
        problem = email_problem(email)
        if not wait and problem:
            return form(request, back, 422, email[:254], problem)
        wait = wait or ws.address_limit.take(address_key(email))
        if wait:
            async with ws.rt.db.acquire() as conn:
                await store.audit(conn, "rate_limited", client)
            return too_many(request, wait)
        now = datetime.now(UTC)
        expires = now + LINK_LIFETIME
        outgoing: list[tuple[str, str]] = []
        async with ws.rt.db.acquire() as conn, conn.transaction():
            found = await store.supporters_with_email(conn, email)
            for supporter in found:
                token = new_token()
                await store.insert_link(conn, token_hash(token), supporter.id, back, now, expires)
                await store.audit(
                    conn, "requested", client, supporter_id=supporter.id, organisation=supporter.organisation, at=now
                )
                outgoing.append((supporter.id, link_url(ws.public_url, token)))
            if not found:
                await store.audit(conn, "requested_unknown", client, at=now)
        for supporter_id, url in outgoing:
            ws.mailer.send_later(str(uuid.uuid4()), supporter_id, url, expires)
        return ws.message(
            request,
            200,
            "Kijk in uw e-mail",
            [
                "Is dit e-mailadres bij ons bekend? Dan krijgt u binnen een paar minuten een e-mail met een link "
                "om in te loggen.",
                "De link werkt 15 minuten, en maar één keer. U hoeft geen wachtwoord te onthouden.",
                "Geen e-mail gekregen? Kijk ook bij uw ongewenste e-mail (spam). Of vraag een nieuwe link. "
                "Lukt het dan nog niet? Vraag de coördinator van uw organisatie of uw e-mailadres klopt.",
            ],
            link=(f"{SIGN_IN_PATH}?terug={quote(back, safe='/')}", "Een nieuwe link vragen"),
        )

    def gone(request: Request) -> HTMLResponse:
        title, paragraphs = LINK_GONE
        return ws.message(request, 410, title, paragraphs, link=(SIGN_IN_PATH, "Een nieuwe link vragen"))

    async def refuse(request: Request, token: str, now: datetime) -> HTMLResponse:
        """Audit a refused link (whose, when it is known) and show the one page for every bad link."""
        async with ws.rt.db.acquire() as conn:
            state = await store.find_link(conn, token_hash(token), now) if TOKEN.match(token) else None
            if state is None:
                detail, supporter_id = "unknown link", None
            else:
                detail = "used link" if state.used else "expired link" if state.expired else "refused"
                supporter_id = state.supporter_id
            await store.audit(conn, "refused", ws.sessions.client(request), supporter_id=supporter_id, detail=detail)
        return gone(request)

    @r.get(SIGN_IN_PATH + "/{token}", response_class=HTMLResponse)
    async def link_page(request: Request, token: str) -> Response:
        now = datetime.now(UTC)
        if TOKEN.match(token):
            async with ws.rt.db.acquire() as conn:
                state = await store.find_link(conn, token_hash(token), now)
            if state is not None and not state.used and not state.expired:
                return ws.render(request, "mijn_link.html", title="Inloggen – Mijn vragen", action=request.url.path)
        return await refuse(request, token, now)

    @r.post(SIGN_IN_PATH + "/{token}", response_class=HTMLResponse)
    async def use_link(request: Request, token: str) -> Response:
        values = await ws.admit(request)
        if isinstance(values, Response):
            return values
        now = datetime.now(UTC)
        used = None
        if TOKEN.match(token):
            async with ws.rt.db.acquire() as conn, conn.transaction():
                used = await store.use_link(conn, token_hash(token), now)
                if used is not None:
                    supporter, _ = used
                    await store.audit(
                        conn,
                        "used",
                        ws.sessions.client(request),
                        supporter_id=supporter.id,
                        organisation=supporter.organisation,
                        at=now,
                    )
        if used is None:
            return await refuse(request, token, now)
        supporter, back = used
        response = redirect(safe_return(back))
        await ws.sessions.start(request, response, SignedIn(supporter.id, supporter.organisation, supporter.name))
        return response

    @r.post(SIGN_OUT_PATH)
    async def sign_out(request: Request) -> Response:
        me = await ws.sessions.current(request)
        values = await ws.admit(request, me)
        if isinstance(values, Response):
            return values
        if me is not None:
            async with ws.rt.db.acquire() as conn:
                await store.audit(
                    conn,
                    "signed_out",
                    ws.sessions.client(request),
                    supporter_id=me.supporter_id,
                    organisation=me.organisation,
                )
        response = redirect(f"{SIGN_IN_PATH}?uitgelogd=ja")
        await ws.sessions.end(request, response)
        return response

    return r


__all__ = ["PATH", "router"]
