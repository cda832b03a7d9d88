"""What a resident needs, as matching reads it: sign language asks for a signing supporter, easy language for
one who knows LVB; an interpreter and a wheelchair-accessible place rule no supporter out. Checked through
``match-eval``'s scenario format, the same rules as the running service (``Question.from_event``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from contracts.events import QuestionReceived
from services.local import match_eval
from services.matching import domain
from tests.unit.test_matching_scenario import question, supporter


def scenario() -> dict[str, Any]:
    """Many better-placed supporters without the skill, a few with it; questions asking for it."""
    supporters = [
        supporter(f"plain-{i}", capacity=3, postcode="3311", life_domains=["wmo", "youth", "debts"]) for i in range(8)
    ]
    supporters += [
        supporter("signer-1", capacity=2, postcode="3319", specialisms=["sign_language"]),
        supporter("signer-2", capacity=1, postcode="3328", specialisms=["sign_language", "lvb"]),
        supporter("lvb-1", capacity=2, postcode="3317", specialisms=["lvb"]),
    ]
    questions = [
        question(f"q-sign-{i}", f"2025-05-0{i + 1}T09:00:00Z", needs=["sign_language"], languages=["ngt", "nl"])
        for i in range(5)
    ]
    questions += [question(f"q-easy-{i}", f"2025-05-1{i}T09:00:00Z", needs=["easy_language"]) for i in range(3)]
    questions += [
        question("q-interpreter", "2025-05-20T09:00:00Z", needs=["interpreter"], languages=["ti", "nl"]),
        question("q-wheelchair", "2025-05-21T09:00:00Z", needs=["wheelchair_access"]),
    ]
    return {
        "organisations": [{"id": "mee", "decides_on_provisions": False}],
        "supporters": supporters,
        "questions": questions,
    }


def test_a_question_needing_sign_language_only_ever_goes_to_a_supporter_who_signs() -> None:
    data = scenario()
    signers = {s["id"] for s in data["supporters"] if "sign_language" in s["specialisms"]}
    lvb = {s["id"] for s in data["supporters"] if "lvb" in s["specialisms"]}
    result = match_eval.evaluate(match_eval.parse(json.dumps(data)))
    assigned = {a["question_id"]: a["supporter_ids"] for a in result["assignments"]}
    sign = {qid: ids for qid, ids in assigned.items() if qid.startswith("q-sign")}
    assert sign, "some sign-language questions are assigned"
    assert all(set(ids) <= signers for ids in sign.values()), sign
    # Three places with signers for five questions: the rest waits rather than going to someone else.
    assert len(sign) == 3
    unassigned = {u["question_id"]: u["reason"]["code"] for u in result["unassigned"]}
    assert {q for q in unassigned if q.startswith("q-sign")} == {"q-sign-3", "q-sign-4"}
    easy = {qid: ids for qid, ids in assigned.items() if qid.startswith("q-easy")}
    assert easy and all(set(ids) <= lvb for ids in easy.values()), easy
    # An interpreter or a wheelchair-accessible place rules no supporter out.
    assert "q-interpreter" in assigned and "q-wheelchair" in assigned


def test_the_service_reads_the_needs_of_a_question_the_same_way() -> None:
    received = QuestionReceived(
        question_id="q-1",
        resident_ref="r-1",
        municipality="GM0505",
        life_domains=["wmo"],
        preferred_supporter_kind="any",
        languages=["ti", "nl"],
        postcode="3311",
        channel="web",
        received_at=datetime.now(UTC),
        needs=["easy_language", "sign_language", "interpreter", "wheelchair_access", "lvb"],
    )
    question = domain.Question.from_event(received)
    assert question.needs == ("lvb", "sign_language")
    assert question.languages == ("ti", "nl"), "the first choice stays first"
    assert set(domain.NEED_SPECIALISMS) == {"sign_language", "easy_language", "interpreter", "wheelchair_access"}
