"""A steady stream of questions during a fault: half through intake's API, half as partner referrals.

Every submission is sent at its moment, whatever became of the ones before (a request that hangs on a
frozen broker or a stopped database does not hold up the next), and noted with what became of it:
*accepted* (HTTP 202, or a referral the broker acknowledged), or refused with the reason. Each has a
resident address of its own, so every mail can be traced to its question. Every eighth asks about a
life domain no supporter covers (one of each way in), so the joint consultation takes it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from dataclasses import dataclass, field
from typing import Literal

import httpx
from aiokafka import AIOKafkaProducer

from contracts import topics
from contracts.envelope import encode, from_model
from contracts.events import ReferralSubmitted
from services.kit import broker
from tests.support.faults.platform import Platform

#: The referring partner of every referral (a partner organisation id).
PARTNER = "huisarts-fault"
#: Life domains: what the scenario's supporters cover, and what nobody covers (consultation).
COVERED = ["wmo"]
UNCOVERED = ["wlz"]
POSTCODE = "3311"
#: Of every 16 submissions, these ask what nobody covers (one through the API, one referral).
CONSULTATIONS = (7, 14)
#: How long one submission may take: a request outliving a fault is still answered (or refused) after it.
SUBMIT_TIMEOUT = 60.0


@dataclass
class Submission:
    n: int
    via: Literal["api", "partner"]
    reference: str
    email: str
    consultation: bool
    sent_at: float
    accepted: bool | None = None
    question_id: str | None = None
    refusal: str | None = None

    @property
    def answered(self) -> bool:
        return self.accepted is not None


@dataclass
class Feeder:
    """Sends ``rate`` questions a second for one municipality until :meth:`stop`."""

    platform: Platform
    municipality: str
    tag: str
    api_key: str
    rate: float = 4.0
    submissions: list[Submission] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _loop: asyncio.Task[None] | None = None
    _producer: AIOKafkaProducer | None = None
    _client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        # A frozen broker holds a referral for 20 s: wait for its acknowledgement longer than that.
        self._producer = broker.make_producer(self.platform.settings, request_timeout_ms=int(SUBMIT_TIMEOUT * 1000))
        await self._producer.start()
        self._client = httpx.AsyncClient(
            base_url=self.platform.services["intake"].url,
            timeout=SUBMIT_TIMEOUT,
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        self._loop = asyncio.create_task(self._run(), name=f"feeder-{self.tag}")

    async def stop(self) -> None:
        """Stop sending and wait for the answer to everything sent."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=SUBMIT_TIMEOUT + 10)
        if self._producer is not None:
            await self._producer.stop()
        if self._client is not None:
            await self._client.aclose()

    @property
    def accepted(self) -> list[Submission]:
        return [s for s in self.submissions if s.accepted]

    def refusals(self) -> dict[str, int]:
        """How many submissions were refused, by kind (``HTTP 503``, ``ConnectError``, ...)."""
        kinds = collections.Counter((s.refusal or "").split(":")[0] for s in self.submissions if s.accepted is False)
        return dict(kinds)

    def accepted_between(self, start: float, end: float) -> int:
        """Accepted submissions sent in ``[start, end)`` (``time.monotonic`` moments)."""
        return sum(1 for s in self.accepted if start <= s.sent_at < end)

    async def _run(self) -> None:
        started = time.monotonic()
        n = 0
        while True:
            submission = self._next(n)
            self.submissions.append(submission)
            task = asyncio.create_task(self._send(submission))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            n += 1
            await asyncio.sleep(max(0.0, started + n / self.rate - time.monotonic()))

    def _next(self, n: int) -> Submission:
        via: Literal["api", "partner"] = "api" if n % 2 else "partner"
        reference = f"{via}-{self.tag}-{n}"
        email = f"bewoner-{self.tag}-{n}@example.nl"
        return Submission(n, via, reference, email, n % 16 in CONSULTATIONS, time.monotonic())

    async def _send(self, s: Submission) -> None:
        try:
            if s.via == "api":
                await self._post(s)
            else:
                await self._refer(s)
        except Exception as exc:  # no answer: not accepted (it may still have arrived; the checks allow that)
            s.accepted, s.refusal = False, f"{type(exc).__name__}: {exc}"[:200]

    def _body(self, s: Submission) -> dict[str, object]:
        return {
            "municipality": self.municipality,
            "life_domains": UNCOVERED if s.consultation else COVERED,
            "description": f"Ik zoek hulp bij mijn aanvraag ({s.reference}).",
            "preferred_supporter_kind": "professional",
            "languages": ["nl"],
            "postcode": POSTCODE,
            "contact": {"name": "Anna de Vries", "email": s.email},
            "consent": {"share_with_supporter": True},
        }

    async def _post(self, s: Submission) -> None:
        assert self._client is not None
        response = await self._client.post("/api/v1/questions", json=self._body(s) | {"channel": "phone"})
        if response.status_code == 202:
            s.accepted, s.question_id = True, str(response.json()["question_id"])
        else:
            s.accepted, s.refusal = False, f"HTTP {response.status_code}"

    async def _refer(self, s: Submission) -> None:
        assert self._producer is not None
        referral = ReferralSubmitted.model_validate(
            self._body(s) | {"channel": "partner", "partner_reference": s.reference, "referrer": PARTNER}
        )
        key, value, headers = encode(from_model(referral, source="/partners/fault-suite"))
        sent = await self._producer.send(topics.REFERRALS_INBOUND, value=value, key=key, headers=headers)
        await sent
        s.accepted = True
