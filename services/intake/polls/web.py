"""The resident's poll page (Dutch, B1): ``/peiling/<poll>`` for a public poll, and
``/peiling/<poll>/<invitation>/<token>`` for a panel member's personal link (the token is made from
the invitation by the shared link key, :mod:`services.kit.links`; nothing of it is stored).

Answers are anonymous. Through a personal link a poll is answered once (a second answer is refused
kindly and not counted); on the public page a cookie keeps one browser from answering twice.
Same guards as every resident form: rate limit and CSRF on every POST, no JavaScript.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from contracts.labels import LIFE_DOMAIN_LABELS
from services.intake.polls import domain, store
from services.intake.web import Pages
from services.kit.links import link_matches
from services.kit.runtime import Runtime
from services.kit.web.headers import NOINDEX


def router(rt: Runtime, pages: Pages) -> APIRouter:
    secret = rt.settings.internal_token.get_secret_value()
    r = APIRouter(include_in_schema=False)

    def unknown() -> HTMLResponse:
        return pages.error(
            404, "Deze link werkt niet", ["Kopieer de hele link uit het bericht."], "/", "Naar de voorpagina"
        )

    async def poll_of(poll_id: str, audience: str) -> asyncpg.Record | None:
        try:
            pid = uuid.UUID(poll_id)
        except ValueError:
            return None
        row = await store.one(rt.db, pid)
        return row if row is not None and row["audience"] == audience else None

    def invited(poll_id: str, invitation: str, token: str) -> uuid.UUID | None:
        try:
            iid = uuid.UUID(invitation)
        except ValueError:
            return None
        return iid if link_matches(secret, domain.LINK_PURPOSE, str(iid), token) else None

    def render(request: Request, row: asyncpg.Record, action: str, status: int = 200, **extra: Any) -> HTMLResponse:
        token = pages.token_for(request)
        response = pages.render(
            "poll.html",
            status,
            token,
            title=row["title"],
            poll=row,
            questions=store.questions_of(row),
            theme=LIFE_DOMAIN_LABELS.get(row["life_domain"], row["life_domain"]),
            action=action,
            csrf_token=token,
            **{"done": False, "already": False, "errors": [], **extra},
        )
        response.headers.update(NOINDEX)
        return response

    async def submit(request: Request, row: asyncpg.Record, action: str, invitation_id: uuid.UUID | None) -> Response:
        admitted = await pages.admit(request, action)
        if isinstance(admitted, Response):
            return admitted
        values, _ = admitted
        questions = store.questions_of(row)
        chosen = domain.parse_answer(questions, [(values.get(f"q{i}") or [""])[0] for i in range(len(questions))])
        if chosen is None:
            return render(request, row, action, 422, errors=["answers"])
        async with rt.db.acquire() as conn, conn.transaction():
            if invitation_id is not None and not await store.invitation(conn, invitation_id, uuid.UUID(row["poll_id"])):
                return unknown()
            counted = await store.answer(conn, uuid.UUID(row["poll_id"]), chosen, invitation_id, datetime.now(UTC))
        return render(request, row, action, done=counted, already=not counted)

    @r.get("/peiling/{poll_id}", response_class=HTMLResponse)
    async def public_poll(poll_id: str, request: Request) -> Response:
        row = await poll_of(poll_id, "public")
        if row is None:
            return unknown()
        if request.cookies.get(f"peiling_{row['poll_id']}"):
            return render(request, row, f"/peiling/{poll_id}", already=True)
        return render(request, row, f"/peiling/{poll_id}")

    @r.post("/peiling/{poll_id}", response_class=HTMLResponse)
    async def answer_public(poll_id: str, request: Request) -> Response:
        row = await poll_of(poll_id, "public")
        if row is None:
            return unknown()
        if request.cookies.get(f"peiling_{row['poll_id']}"):
            return render(request, row, f"/peiling/{poll_id}", already=True)
        response = await submit(request, row, f"/peiling/{poll_id}", None)
        if response.status_code == 200:
            response.set_cookie(
                f"peiling_{row['poll_id']}",
                "1",
                max_age=365 * 86400,
                path="/peiling",
                secure=pages.secure,
                httponly=True,
                samesite="strict",
            )
        return response

    @r.get("/peiling/{poll_id}/{invitation}/{token}", response_class=HTMLResponse)
    async def panel_poll(poll_id: str, invitation: str, token: str, request: Request) -> Response:
        row = await poll_of(poll_id, "panel")
        iid = invited(poll_id, invitation, token)
        if row is None or iid is None or not await store.invitation(rt.db, iid, uuid.UUID(row["poll_id"])):
            return unknown()
        return render(request, row, f"/peiling/{poll_id}/{invitation}/{token}")

    @r.post("/peiling/{poll_id}/{invitation}/{token}", response_class=HTMLResponse)
    async def answer_panel(poll_id: str, invitation: str, token: str, request: Request) -> Response:
        row = await poll_of(poll_id, "panel")
        iid = invited(poll_id, invitation, token)
        if row is None or iid is None:
            return unknown()
        return await submit(request, row, f"/peiling/{poll_id}/{invitation}/{token}", iid)

    return r
