"""The demo data of `samenloket up --demo`: questions, signals and reasons the real APIs accept, and the
trickle that asks, accepts, declines, ends and signals in a believable order."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from contracts.events import QuestionSubmission
from contracts.labels import DECLINE_REASON_TEXTS as DECLINE_REASONS
from contracts.labels import END_REASON_TEXTS as END_REASONS
from services.intake.domain import SignalSubmission
from services.intake.experiences.form import ExperienceForm
from services.kit.region import load_region, region_of
from services.local.demo.activity import (
    demo_decline_reason,
    demo_end_reason,
    demo_experience,
    demo_question,
    demo_signal,
)
from services.local.demo.keys import DEMO_SCOPES
from services.local.demo.region import demo_of, demo_supporters, registered
from services.local.demo.trickle import Trickle
from services.local.mailsink import Inbox

DEMO = demo_of(region_of())
INTAKE = "http://intake.test"
MATCHING = "http://matching.test"


def test_every_demo_supporter_is_announced_with_its_public_profile_only() -> None:
    """Reporting counts capacity per organisation from SupporterRegistered; no name or e-mail goes out."""
    supporters = demo_supporters(random.Random(2026), region_of())
    events = [registered(s) for s in supporters]
    assert sum(e.capacity for e in events) == sum(s.capacity for s in supporters) > 0
    assert {e.organisation for e in events} == {s.organisation for s in supporters}
    for supporter, event in zip(supporters, events, strict=True):
        published = event.model_dump_json()
        assert supporter.name not in published and supporter.email not in published


def test_demo_questions_carry_age_band_and_how_the_resident_found_us() -> None:
    rng = random.Random(1)
    bodies = [demo_question(rng, DEMO) for _ in range(300)]
    for body in bodies:
        QuestionSubmission.model_validate(body)
    ages = Counter(b.get("age_band") for b in bodies)
    found = Counter(b.get("found_via") for b in bodies)
    assert 0.8 < (300 - ages[None]) / 300 < 0.97, "most say their age; some rather not"
    assert len(ages) == 7 and ages["45_64"] > ages["under_18"]
    assert found.most_common(1)[0][0] == "wijkteam" and found["media"] < found["huisarts"]


def test_demo_signals_and_reasons_are_what_intake_and_matching_accept() -> None:
    rng = random.Random(2)
    signals = [SignalSubmission.model_validate(demo_signal(rng, DEMO)) for _ in range(100)]
    themes = Counter(s.theme for s in signals)
    assert themes.most_common(1)[0][0] == "waiting_times" and len(themes) == 6
    assert {s.level for s in signals} == {"local", "regional"} and {s.raised_by for s in signals} == {"supporter"}
    assert {demo_end_reason(rng) for _ in range(200)} <= set(END_REASONS)
    assert {demo_decline_reason(rng) for _ in range(200)} <= set(DECLINE_REASONS)


def test_the_demo_key_may_raise_signals_and_coordinate_assignments() -> None:
    assert {"staff", "submit", "coordinator"} <= set(DEMO_SCOPES)


def test_demo_experiences_are_what_the_form_accepts_and_some_residents_skip() -> None:
    rng = random.Random(3)
    filled = [demo_experience(rng) for _ in range(200)]
    shared = [f for f in filled if f is not None]
    assert 0.45 < len(shared) / 200 < 0.75
    for values in shared:
        answers, errors = ExperienceForm.parse({k: [v] for k, v in values.items()}).validate()
        assert answers is not None and errors == []
    scores = [int(f["score"]) for f in shared]
    assert min(scores) >= 1 and max(scores) <= 10 and 6 <= sum(scores) / len(scores) <= 8.5


@dataclass
class FakeRegion:
    """Answers the trickle's calls as intake and matching would; some questions are on the waiting list.

    When support ends it mails the invitation into the inbox, as notifications and the local SMTP
    sink would; its form answers like intake's (a CSRF token in a hidden field and a cookie).
    """

    inbox: Inbox | None = None
    waiting: set[str] = field(default_factory=set)
    calls: list[tuple[int, str, str, dict[str, object]]] = field(default_factory=list)
    shared: list[dict[str, list[str]]] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)
    step: int = 0
    asked: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if path.startswith("/ervaring/"):
            return self.form(request)
        assert request.headers["Authorization"] == "Bearer slk_demo"
        body = json.loads(request.content or b"{}")
        self.calls.append((self.step, host, path, body))
        if path == "/api/v1/questions":
            self.asked += 1
            self.addresses[f"q-{self.asked}"] = body["contact"]["email"]
            return httpx.Response(202, json={"question_id": f"q-{self.asked}", "status": "received"})
        if path.endswith("/end") and self.inbox is not None:
            self.mail_invitation(path.split("/")[4])
        if path == "/api/v1/signals":
            return httpx.Response(202, json={"signal_id": f"sig-{self.step}"})
        question_id = path.split("/")[4]
        if question_id in self.waiting:
            return httpx.Response(404, json={"detail": "no assignment"})
        return httpx.Response(200, json={"question_id": question_id, "assignments": []})

    def mail_invitation(self, question_id: str) -> None:
        assert self.inbox is not None
        message = EmailMessage()
        message["To"] = self.addresses[question_id]
        message["Subject"] = "Hoe was uw cliëntondersteuning? Vertel het ons"
        message.set_content(f"Vertel het ons via deze link:\n{INTAKE}/ervaring/link-{question_id}\n")
        self.inbox.receive(bytes(message))

    def form(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            page = '<form method="post"><input type="hidden" name="csrf_token" value="tok-1"></form>'
            return httpx.Response(200, text=page, headers={"Set-Cookie": "csrf=tok-1; Path=/"})
        assert request.headers.get("Authorization") is None, "a resident has no API key"
        assert "csrf=tok-1" in request.headers["Cookie"]
        self.shared.append({"link": [request.url.path], **parse_qs(request.content.decode())})
        return httpx.Response(303, headers={"Location": "/ervaring/bedankt"})

    def of(self, action: str) -> list[tuple[int, str, dict[str, object]]]:
        return [(step, path.split("/")[4], body) for step, _h, path, body in self.calls if path.endswith(action)]


def test_trickle_asks_every_step_then_accepts_ends_declines_and_signals_in_order() -> None:
    region = FakeRegion(waiting={"q-3"})
    trickle = Trickle(INTAKE, MATCHING, "slk_demo", transport=httpx.MockTransport(region.handle))
    for step in range(1, 49):
        region.step = step
        trickle.step()
    trickle.close()

    questions = [c for c in region.calls if c[2] == "/api/v1/questions"]
    assert len(questions) == 48 and all(c[1] == "intake.test" for c in questions)
    signals = [c for c in region.calls if c[2] == "/api/v1/signals"]
    assert [c[0] for c in signals] == [1, 13, 25, 37], "a handful of signals, one every SIGNAL_EVERY steps"

    asked_at = {f"q-{n}": n for n in range(1, 49)}
    accepted = region.of("/accept")
    declined = region.of("/decline")
    ended = region.of("/end")
    assert len(accepted) + len(declined) >= 44, "supporters keep pace with the questions"
    assert 0 < len(declined) <= len(accepted) // 4
    assert len(ended) >= 18, "about every other step a support ends"
    for step, question_id, _body in accepted + declined:
        assert step - asked_at[question_id] >= Trickle.ACCEPT_AFTER
    first_accept = {q: s for s, q, _b in reversed(accepted)}
    for step, question_id, body in ended:
        assert question_id != "q-3", "a question on the waiting list has no support to end"
        assert step - first_accept[question_id] >= Trickle.END_AFTER
        assert body["reason_code"] in END_REASONS
    for step, question_id, body in declined:
        assert body["by"] == "supporter" and body["reason_code"] in DECLINE_REASONS
        assert any(s > step and q == question_id for s, q, _b in accepted + declined), "asked again after a decline"
    assert len({q for _s, q, _b in ended}) == len(ended), "support of a question ends once"


def test_invited_demo_residents_follow_the_link_in_their_mail_and_share() -> None:
    inbox = Inbox()
    region = FakeRegion(inbox=inbox)
    trickle = Trickle(INTAKE, MATCHING, "slk_demo", inbox, transport=httpx.MockTransport(region.handle))
    for step in range(1, 12 * Trickle.SHARE_EVERY + 1):
        region.step = step
        trickle.step()
    trickle.close()

    ended = {q for _s, q, _b in region.of("/end")}
    assert region.shared, "some invited residents share their experience"
    assert len(region.shared) <= 12, "at most one every SHARE_EVERY steps (the forms' rate limit)"
    for values in region.shared:
        assert values["csrf_token"] == ["tok-1"]
        assert values["link"][0].removeprefix("/ervaring/link-") in ended
        answers, errors = ExperienceForm.parse(values).validate()
        assert answers is not None and errors == []


def test_the_demo_desk_acknowledges_new_signals_first_then_answers_them() -> None:
    """With the desk key, the trickle reads the signals it may see and takes the next step on the oldest."""
    signals = {
        "s-1": {"signal_id": "s-1", "raised_at": "2026-11-01T10:00:00+00:00", "status": "acknowledged"},
        "s-2": {"signal_id": "s-2", "raised_at": "2026-11-02T10:00:00+00:00", "status": "raised"},
        "s-3": {"signal_id": "s-3", "raised_at": "2026-11-03T10:00:00+00:00", "status": "raised"},
    }
    steps: list[tuple[str, str]] = []

    def desk(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer slk_desk"
        path = request.url.path
        if request.method == "GET" and path == "/api/v1/signals":
            return httpx.Response(200, json={"signals": list(signals.values())})
        if request.method == "POST" and path.startswith("/api/v1/signals/"):
            signal_id, action = path.split("/")[4:6]
            if action == "answer":
                assert json.loads(request.content)["text"]
            signals[signal_id]["status"] = {"acknowledge": "acknowledged", "answer": "answered"}[action]
            steps.append((signal_id, action))
            return httpx.Response(200, json=signals[signal_id])
        return httpx.Response(404)

    trickle = Trickle(INTAKE, MATCHING, "slk_demo", transport=httpx.MockTransport(desk), desk_key="slk_desk")
    assert trickle.desk is not None
    for _ in range(5):
        trickle._desk_step(trickle.desk)
    trickle.close()
    assert steps == [
        ("s-2", "acknowledge"),
        ("s-3", "acknowledge"),
        ("s-1", "answer"),
        ("s-2", "answer"),
        ("s-3", "answer"),
    ]


def test_each_shipped_region_has_a_demo_of_its_own_organisations_places_and_postcodes() -> None:
    """`samenloket up --demo --region regions/ijmond.toml` loads IJmond's supporters, not Drechtsteden's."""
    regions = Path(__file__).parents[2] / "regions"
    for name, places in (("drechtsteden.toml", 7), ("ijmond.toml", 3)):
        region = load_region(regions / name)
        supporters = demo_supporters(random.Random(2026), region)
        assert {s.organisation for s in supporters} == {o.id for o in region.organisations}
        assert {m for s in supporters for m in s.municipalities} <= set(region.municipality_names)
        assert len(region.municipality_names) == places
        demo = demo_of(region)
        rng = random.Random(7)
        asked = [QuestionSubmission.model_validate(demo_question(rng, demo)) for _ in range(50)]
        assert {q.municipality for q in asked} <= set(region.municipality_names)
        assert all(
            region.serves(SignalSubmission.model_validate(demo_signal(rng, demo)).municipality) for _ in range(20)
        )
