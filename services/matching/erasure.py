"""Matching's part of an erasure (ResidentErasureRequested on samenloket.privacy).

Matching keeps no names or contact details. What ties a question to a resident is the
``resident_ref`` in the ``QuestionReceived`` payloads it keeps (``waiting.question``,
``questions``): the erased resident's waiting questions are dropped, since intake withdraws them
and nobody is left to support, and ``questions`` loses the ref (``store.forget_resident``; the
continuity with earlier supporters goes with it). A decline's reason in the person's own words is
cleared, and so is the note of the resident's own view from the joint consultation. Assignments
and consultations hold ids, scores and reason codes only, and stay for capacity and figures.
A QuestionReceived of an erased resident arriving later is not matched (see ``handlers``).
"""

from __future__ import annotations

import logging

from contracts.events import ResidentErasureRequested
from services.kit.db import Conn
from services.matching import store

log = logging.getLogger(__name__)


async def erase(conn: Conn, request: ResidentErasureRequested) -> None:
    ids = request.question_ids
    dropped = await conn.execute(
        "DELETE FROM waiting WHERE question_id = ANY($1::text[]) OR question->>'resident_ref' = $2",
        ids,
        request.resident_ref,
    )
    forgotten = await store.forget_resident(conn, request.resident_ref)
    # The same for the question ids, should a payload have come without the ref.
    await conn.execute(
        "UPDATE questions SET resident_ref = NULL, question = question - 'resident_ref'"
        " WHERE question_id = ANY($1::text[]) AND (resident_ref IS NOT NULL OR question ? 'resident_ref')",
        ids,
    )
    # A decline's reason in the person's own words may say who they are.
    await conn.execute(
        "UPDATE declines SET reason_text = NULL WHERE question_id = ANY($1::text[]) AND reason_text IS NOT NULL", ids
    )
    # So may the resident's own view, written down in the joint consultation.
    await store.forget_views(conn, ids)
    log.info("resident erased", extra={"waiting_dropped": dropped, "questions_forgotten": forgotten})
