"""The demo trickle: keeps `samenloket up --demo` moving through the public APIs, as people would.

Residents ask questions, supporters accept, decline and end support and raise signals, the
municipality's desk acknowledges and answers signals, and now and then an invited resident opens
the link in their mail (read from the local mail sink's :class:`~services.local.mailsink.Inbox`)
and shares their experience through the real form. The launcher calls :meth:`Trickle.step`.
"""

from __future__ import annotations

import random
import re
from collections import deque
from typing import Any

import httpx

from services.kit.region import Region, region_of
from services.local.demo.activity import (
    demo_decline_reason,
    demo_end_reason,
    demo_experience,
    demo_question,
    demo_signal,
    demo_signal_answer,
)
from services.local.demo.region import demo_of
from services.local.mailsink import Inbox

#: Where intake serves the experience form a resident's invitation links to.
EXPERIENCE_PATH = "/ervaring/"


class Trickle:
    """Keeps the demo moving through the public APIs with the demo key, one step per ``--trickle-seconds``.

    Every step a resident asks a question (with an age band and how they found us) and a supporter
    takes up an earlier one (now and then declining it first, so matching finds the next supporter).
    Every ``END_EVERY`` steps the support of an accepted question ends, and notifications invites that
    resident to share their experience; so about half the supported stay, and capacity fills slowly
    over a long demo. Every ``SIGNAL_EVERY`` steps a supporter raises a signal. Questions that went to
    the waiting list or the joint consultation are left to matching.
    """

    END_EVERY = 2
    SIGNAL_EVERY = 12
    #: Now and then an invited resident shares their experience through the form (as a resident
    #: would, from the link in their mail). Rarely: the forms' rate limit per client is shared with
    #: whoever tries the forms by hand on this machine.
    SHARE_EVERY = 30
    SHARE_AFTER = 4
    #: Every this many acceptances the supporter declines instead (the decline reasons in the reports).
    DECLINE_EVERY = 6
    #: Steps a question waits before its supporter accepts, and an accepted one before support ends.
    ACCEPT_AFTER = 2
    END_AFTER = 6

    def __init__(
        self,
        intake_url: str,
        matching_url: str,
        api_key: str,
        inbox: Inbox | None = None,
        transport: httpx.BaseTransport | None = None,
        desk_key: str | None = None,
        region: Region | None = None,
    ) -> None:
        #: The demo of the region served (the shipped demo region when none is given).
        self.demo = demo_of(region or region_of())
        self.intake_url = intake_url
        self.matching_url = matching_url
        self.inbox = inbox
        headers = {"Authorization": f"Bearer {api_key}"}
        self.client = httpx.Client(headers=headers, timeout=2.0, transport=transport)
        self.rng = random.Random(42)
        self.steps = 0
        self.acceptances = 0
        #: (step, question id) of questions asked, and of questions whose supporter accepted.
        self.asked: deque[tuple[int, str]] = deque(maxlen=500)
        self.accepted: deque[tuple[int, str]] = deque(maxlen=500)
        #: The demo residents' (fictional) addresses by question, and (step, address) of those invited.
        self.addresses: dict[str, str] = {}
        self.invited: deque[tuple[int, str]] = deque(maxlen=500)
        #: A client of its own for the resident's side: the form's CSRF cookie, and no demo key.
        self.browser = httpx.Client(timeout=2.0, transport=transport)
        #: The signal desk of the region's ``demo.desk``, which reads and answers signals; None: nobody answers.
        self.desk = (
            httpx.Client(headers={"Authorization": f"Bearer {desk_key}"}, timeout=2.0, transport=transport)
            if desk_key
            else None
        )

    def step(self) -> None:
        self.steps += 1
        self._ask()
        self._accept()
        if self.steps % self.END_EVERY == 0:
            self._end()
        if self.steps % self.SIGNAL_EVERY == 1:
            self._signal()
        if self.desk and self.steps % self.SIGNAL_EVERY == self.SIGNAL_EVERY // 2:
            self._desk_step(self.desk)
        if self.inbox is not None and self.steps % self.SHARE_EVERY == 0:
            self._share_experience(self.inbox)

    def close(self) -> None:
        self.client.close()
        self.browser.close()
        if self.desk:
            self.desk.close()

    def _ask(self) -> None:
        body = demo_question(self.rng, self.demo)
        answer = self._post(f"{self.intake_url}/api/v1/questions", body, "question", 202)
        if answer is not None:
            self.asked.append((self.steps, answer["question_id"]))
            self.addresses[answer["question_id"]] = body["contact"]["email"]

    def _accept(self) -> None:
        oldest = _oldest(self.asked, self.steps - self.ACCEPT_AFTER)
        if oldest is None:
            return
        asked_at, question_id = oldest
        url = f"{self.matching_url}/api/v1/assignments/{question_id}"
        self.acceptances += 1
        if self.acceptances % self.DECLINE_EVERY == 0:
            body = {"by": "supporter", "reason_code": demo_decline_reason(self.rng)}
            if self._post(f"{url}/decline", body, "decline", 200, quiet=(404, 409, 422)) is not None:
                self.asked.appendleft((asked_at, question_id))  # the next supporter takes it up next step
            return
        if self._post(f"{url}/accept", {}, "acceptance", 200, quiet=(404, 409)) is not None:
            self.accepted.append((self.steps, question_id))

    def _end(self) -> None:
        oldest = _oldest(self.accepted, self.steps - self.END_AFTER)
        if oldest is None:
            return
        question_id = oldest[1]
        url = f"{self.matching_url}/api/v1/assignments/{question_id}/end"
        body = {"reason_code": demo_end_reason(self.rng)}
        if self._post(url, body, "end of support", 200, quiet=(404, 409)) is not None:
            address = self.addresses.pop(question_id, None)
            if address:
                self.invited.append((self.steps, address))

    def _share_experience(self, inbox: Inbox) -> None:
        """A resident invited a while ago opens the link in their mail and fills in the form (or skips it)."""
        oldest = _oldest(self.invited, self.steps - self.SHARE_AFTER)
        answers = demo_experience(self.rng) if oldest else None
        link = inbox.link(oldest[1], EXPERIENCE_PATH) if oldest and answers else None
        if link is None or answers is None:
            return
        try:
            form = self.browser.get(link)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            if form.status_code != 200 or token is None:
                return  # the link was used or has expired: nothing to share
            shared = self.browser.post(link, data={**answers, "csrf_token": token.group(1)})
        except httpx.HTTPError as exc:
            print(f"samenloket: demo experience not shared: {exc}", flush=True)
            return
        if shared.status_code != 303:
            print(f"samenloket: demo experience refused ({shared.status_code})", flush=True)

    def _signal(self) -> None:
        self._post(f"{self.intake_url}/api/v1/signals", demo_signal(self.rng, self.demo), "signal", 202)

    def _desk_step(self, desk: httpx.Client) -> None:
        """The desk acknowledges the oldest new signal it sees, or else answers the oldest acknowledged one."""
        try:
            listed = desk.get(f"{self.intake_url}/api/v1/signals")
            signals = listed.json()["signals"] if listed.status_code == 200 else []
            oldest = sorted(signals, key=lambda s: s["raised_at"])
            new = [s for s in oldest if s["status"] == "raised"]
            read = [s for s in oldest if s["status"] == "acknowledged"]
            if new:
                desk.post(f"{self.intake_url}/api/v1/signals/{new[0]['signal_id']}/acknowledge")
            elif read:
                answer = {"text": demo_signal_answer(self.rng)}
                desk.post(f"{self.intake_url}/api/v1/signals/{read[0]['signal_id']}/answer", json=answer)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            print(f"samenloket: demo signal desk step failed: {exc}", flush=True)

    def _post(
        self, url: str, body: dict[str, Any], what: str, expected: int, quiet: tuple[int, ...] = ()
    ) -> dict[str, Any] | None:
        """POST ``body``; the answer's JSON when it is ``expected``, else None (said, unless a ``quiet`` status).

        ``quiet`` answers are part of the demo: a question on the waiting list has no assignment to accept.
        """
        try:
            response = self.client.post(url, json=body)
        except httpx.HTTPError as exc:
            print(f"samenloket: demo {what} not posted: {exc}", flush=True)
            return None
        if response.status_code == expected:
            found = response.json()
            return found if isinstance(found, dict) else {}
        if response.status_code not in quiet:
            print(f"samenloket: demo {what} refused ({response.status_code}): {response.text[:200]}", flush=True)
        return None


def _oldest(queue: deque[tuple[int, str]], up_to_step: int) -> tuple[int, str] | None:
    """Take the oldest ``(step, question id)`` queued at or before ``up_to_step`` (None: none old enough yet)."""
    if queue and queue[0][0] <= up_to_step:
        return queue.popleft()
    return None
