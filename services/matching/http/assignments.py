"""``/api/v1/assignments``: the life of an assignment, for coordinators (a municipality's key sees its own)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from contracts.events import Reason
from contracts.labels import DECLINE_REASON_TEXTS, END_REASON_TEXTS
from services.kit.db import Conn
from services.kit.runtime import Runtime
from services.matching import handlers, store
from services.matching.container import Container
from services.matching.http.assignment_models import AcceptIn, AssignmentOut, DeclineIn, DeclineOut, EndIn, StepOut
from services.matching.http.common import Coordinator, assignment_in_scope, command


def router(rt: Runtime, c: Container) -> APIRouter:
    routes = APIRouter(prefix="/api/v1", tags=["assignments"])

    @routes.get("/assignments/{question_id}", response_model=AssignmentOut)
    async def assignment(question_id: str, principal: Coordinator) -> AssignmentOut:
        """The question's current assignment (else its last one), with the reasons for the choice."""
        unknown = f"no assignment for question {question_id!r}"
        async with rt.db.acquire() as conn:
            try:
                # Another municipality's question reads as an unknown one: nothing about it before this.
                await handlers.ensure_in_area(conn, question_id, principal.municipality)
            except handlers.NotFound as exc:
                raise HTTPException(status.HTTP_404_NOT_FOUND, unknown) from exc
            found = await store.get_assignment(conn, question_id)
            outcome = await store.question_outcome(conn, question_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, unknown + (f" (status: {outcome})" if outcome else ""))
        return AssignmentOut.of(found)

    @routes.post("/assignments/{question_id}/accept", response_model=StepOut)
    async def accept(question_id: str, principal: Coordinator, body: AcceptIn | None = None) -> StepOut:
        """The supporter accepts the question (AssignmentAccepted). Accepting twice is harmless."""
        supporter_id = body.supporter_id if body else None

        async def work(conn: Conn) -> list[store.AssignmentView]:
            await assignment_in_scope(conn, principal, question_id)
            return await handlers.accept(conn, question_id, c.source, supporter_id=supporter_id)

        return StepOut.of(question_id, await command(rt, work))

    @routes.post("/assignments/{question_id}/decline", response_model=DeclineOut)
    async def decline(question_id: str, body: DeclineIn, principal: Coordinator) -> DeclineOut:
        """The supporter or the resident declines: AssignmentDeclined, then the next best supporter
        (never one who declined this question before), or the waiting list, or the consultation."""
        reason = Reason(code=body.reason_code, text=DECLINE_REASON_TEXTS[body.reason_code])

        async def work(conn: Conn) -> handlers.Rematched:
            await assignment_in_scope(conn, principal, question_id)
            return await handlers.decline(
                conn,
                question_id,
                body.by,
                reason,
                c.source,
                c.scoring,
                reason_text=body.reason_text,
                supporter_id=body.supporter_id,
            )

        result = await command(rt, work)
        return DeclineOut(
            declined=AssignmentOut.of(result.declined),
            outcome=result.outcome,  # type: ignore[arg-type]  # one of the three
            assignment=AssignmentOut.of(result.assignment) if result.assignment else None,
        )

    @routes.post("/assignments/{question_id}/end", response_model=StepOut)
    async def end(question_id: str, principal: Coordinator, body: EndIn | None = None) -> StepOut:
        """Support ends (SupportEnded): the place frees and goes to the waiting list."""
        body = body or EndIn()
        reason = Reason(code=body.reason_code, text=END_REASON_TEXTS[body.reason_code])

        async def work(conn: Conn) -> list[store.AssignmentView]:
            await assignment_in_scope(conn, principal, question_id)
            return await handlers.end(conn, question_id, reason, c.source, c.scoring, supporter_id=body.supporter_id)

        return StepOut.of(question_id, await command(rt, work))

    return routes
