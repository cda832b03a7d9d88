"""What must hold after a fault, read from every service's own tables (SQL), the mailbox and the DLQs.

For the questions of one scenario (its own municipality):

- every accepted submission is a question in intake, and every question intake holds has exactly
  one final outcome: intake's status, matching's record (one open assignment, or the waiting list,
  or the joint consultation — never two, never a second booking) and reporting's projection agree,
  and intake's history has the outcome once;
- capacity: for every supporter, matching's counter equals its open assignments and stays within
  capacity; when questions wait, the scenario's supporters are exactly full;
- mail: every delivery the outcome calls for (supporter and resident; resident; coordinator and
  resident) is one row, ``sent``, and its Message-ID arrived at the right address; a Message-ID
  that arrived twice was re-sent (a send in flight at the fault); no mail arrived that notifications
  does not know;
- the DLQs hold exactly the poison sent (each once per consumer group of its topic) and nothing else.

A :class:`Problem` is *pending* while it may still resolve (a question on its way), else permanent;
:func:`converge` waits while pending problems remain.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import header_map
from contracts.topics import ALL_TOPICS, dlq
from services.kit import broker
from services.kit.runtime import Runtime, load_spec
from services.kit.settings import SERVICE_NAMES, Settings
from tests.support.faults.feeding import PARTNER, Feeder, Submission
from tests.support.faults.platform import COORDINATOR_EMAIL, Mail, Platform
from tests.support.faults.poison import MARK, Poison

FINAL = ("assigned", "waiting", "consultation")
EXPECTED_ROLES = {
    "assigned": {"supporter", "resident"},
    "waiting": {"resident"},
    "consultation": {"coordinator", "resident"},
}
SCHEMAS = SERVICE_NAMES


@dataclass(frozen=True)
class Problem:
    text: str
    pending: bool = False
    kind: str = "other"  # "lost", "doubled", or "other"
    #: The question (or the submission not yet a question) it is about, if any.
    subject: str | None = None


@dataclass
class State:
    """Everything the checks read, at one moment."""

    intake: dict[str, asyncpg.Record]
    history: dict[str, collections.Counter[str]]
    assignments: dict[str, list[asyncpg.Record]]
    waiting: set[str]
    consultations: set[str]
    deliveries: dict[str, list[asyncpg.Record]]
    known_message_ids: set[str]
    reporting: dict[str, asyncpg.Record]
    reporting_assigned: collections.Counter[str]
    supporters: list[asyncpg.Record]
    outboxes: dict[str, int]
    mails: list[Mail]


async def read_state(platform: Platform, municipality: str) -> State:
    async with platform.connect() as conn:
        intake = {
            r["question_id"]: r
            for r in await conn.fetch(
                "SELECT question_id::text, status, referrer, partner_reference FROM intake.questions"
                " WHERE municipality = $1",
                municipality,
            )
        }
        ids = list(intake)
        history: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        for r in await conn.fetch(
            "SELECT question_id::text, status FROM intake.question_history WHERE question_id = ANY($1::uuid[])", ids
        ):
            history[r["question_id"]][r["status"]] += 1
        assignments: dict[str, list[asyncpg.Record]] = collections.defaultdict(list)
        for r in await conn.fetch(
            "SELECT question_id, assignment_id, supporter_id, status, role FROM matching.assignments"
            " WHERE question_id = ANY($1)",
            ids,
        ):
            assignments[r["question_id"]].append(r)
        waiting = {
            r[0] for r in await conn.fetch("SELECT question_id FROM matching.waiting WHERE question_id = ANY($1)", ids)
        }
        consultations = {
            r[0]
            for r in await conn.fetch("SELECT question_id FROM matching.consultations WHERE question_id = ANY($1)", ids)
        }
        deliveries: dict[str, list[asyncpg.Record]] = collections.defaultdict(list)
        for r in await conn.fetch(
            "SELECT question_id, delivery_key, message_id, status, recipient_role, template"
            " FROM notifications.deliveries WHERE question_id = ANY($1)",
            ids,
        ):
            deliveries[r["question_id"]].append(r)
        known = {r[0] for r in await conn.fetch("SELECT message_id FROM notifications.deliveries")}
        reporting = {
            r["question_id"]: r
            for r in await conn.fetch(
                "SELECT question_id, status, complete FROM reporting.question_facts WHERE question_id = ANY($1)", ids
            )
        }
        reporting_assigned = collections.Counter(
            r[0]
            for r in await conn.fetch(
                "SELECT question_id FROM reporting.assignment_facts WHERE question_id = ANY($1)", ids
            )
        )
        supporters = await conn.fetch(
            "SELECT s.id, s.email, s.capacity, s.active_cases, s.municipalities,"
            " count(a.assignment_id) FILTER (WHERE a.status IN ('assigned', 'accepted')) AS open"
            " FROM matching.supporters s LEFT JOIN matching.assignments a ON a.supporter_id = s.id"
            " GROUP BY s.id ORDER BY s.id"
        )
        outboxes = {schema: await conn.fetchval(f'SELECT count(*) FROM "{schema}".outbox') for schema in SCHEMAS}
    return State(
        intake, history, assignments, waiting, consultations, deliveries, known, reporting, reporting_assigned,
        supporters, outboxes, platform.mailbox.snapshot(),
    )  # fmt: skip


@dataclass
class Verdict:
    problems: list[Problem]
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    mails: int = 0
    mails_resent: int = 0

    @property
    def pending(self) -> bool:
        return any(p.pending for p in self.problems)

    def unfinished(self) -> int:
        """Questions (or submissions) still on their way: some outcome, mail or projection not there yet."""
        return len({p.subject for p in self.problems if p.pending and p.subject is not None})


def examine(state: State, feeder: Feeder, supporter_ids: Iterable[str]) -> Verdict:
    """Every check of the module docstring, for the feeder's municipality."""
    problems: list[Problem] = []
    verdict = Verdict(problems)
    scenario = set(supporter_ids)
    by_question = _submissions_by_question(state, feeder.submissions)
    for s in feeder.submissions:
        if not s.answered:
            problems.append(Problem(f"{s.via} {s.reference} has no answer yet", pending=True, subject=s.reference))
    for s in feeder.accepted:
        if _question_of(state, s) is None:
            problems.append(
                Problem(
                    f"accepted {s.via} {s.reference} is not in intake", pending=True, kind="lost", subject=s.reference
                )
            )
    mails_by_id = collections.defaultdict(list)
    for mail in state.mails:
        mails_by_id[mail.message_id].append(mail)
    ours = {s.email for s in feeder.submissions} | {r["email"] for r in state.supporters if r["id"] in scenario}
    for mail in state.mails:
        if mail.message_id not in state.known_message_ids and set(mail.to) & (ours | {COORDINATOR_EMAIL}):
            problems.append(
                Problem(f"mail {mail.message_id} to {mail.to} is no delivery of notifications", kind="doubled")
            )
    supporter_emails = {r["id"]: r["email"] for r in state.supporters}
    for question_id, row in state.intake.items():
        outcome = _outcome(state, question_id, row["status"], problems)
        if outcome is None:
            continue
        verdict.outcomes[outcome] += 1
        submission = by_question.get(question_id)
        _check_reporting(state, question_id, outcome, problems)
        _check_mails(state, question_id, outcome, submission, supporter_emails, mails_by_id, verdict)
    _check_capacity(state, scenario, verdict.outcomes["waiting"], problems)
    busy = {schema: n for schema, n in state.outboxes.items() if n}
    if busy:
        problems.append(Problem(f"outboxes not empty yet: {busy}", pending=True))
    return verdict


def _submissions_by_question(state: State, submissions: list[Submission]) -> dict[str, Submission]:
    found = {}
    for s in submissions:
        question_id = _question_of(state, s)
        if question_id is not None:
            found[question_id] = s
    return found


def _question_of(state: State, s: Submission) -> str | None:
    if s.via == "api":
        return s.question_id if s.question_id in state.intake else None
    for question_id, row in state.intake.items():
        if row["referrer"] == PARTNER and row["partner_reference"] == s.reference:
            return question_id
    return None


def _outcome(state: State, question_id: str, status: str, problems: list[Problem]) -> str | None:
    """The question's one final outcome, or None (and a problem saying why) when it has none or several."""
    rows = state.assignments.get(question_id, [])
    open_rows = [r for r in rows if r["status"] in ("assigned", "accepted")]
    outcomes = (["assigned"] * len(open_rows)) + (["waiting"] if question_id in state.waiting else [])
    outcomes += ["consultation"] if question_id in state.consultations else []
    if len(rows) > 1 or len(outcomes) > 1:
        booked = [(r["supporter_id"], r["status"]) for r in rows]
        problems.append(
            Problem(
                f"question {question_id}: outcomes {outcomes} in matching, bookings {booked}",
                kind="doubled",
                subject=question_id,
            )
        )
        return None
    if not outcomes or status not in FINAL:
        problems.append(
            Problem(
                f"question {question_id}: no final outcome (intake {status}, matching {outcomes})",
                pending=True,
                kind="lost",
                subject=question_id,
            )
        )
        return None
    outcome = outcomes[0]
    if status != outcome:
        problems.append(
            Problem(
                f"question {question_id}: intake says {status}, matching {outcome}", pending=True, subject=question_id
            )
        )
        return None
    history = state.history.get(question_id, collections.Counter())
    if history != collections.Counter({"received": 1, outcome: 1}):
        problems.append(
            Problem(f"question {question_id}: intake's history {dict(history)}", kind="doubled", subject=question_id)
        )
    return outcome


def _check_reporting(state: State, question_id: str, outcome: str, problems: list[Problem]) -> None:
    fact = state.reporting.get(question_id)
    if fact is None or fact["status"] != outcome or not fact["complete"]:
        seen = None if fact is None else (fact["status"], fact["complete"])
        problems.append(
            Problem(
                f"question {question_id}: reporting has {seen}, expected {outcome}", pending=True, subject=question_id
            )
        )
    booked = state.reporting_assigned[question_id]
    if booked != (outcome == "assigned"):
        problems.append(
            Problem(
                f"question {question_id}: reporting has {booked} assignments for {outcome}",
                pending=booked == 0,
                subject=question_id,
            )
        )


def _check_mails(
    state: State,
    question_id: str,
    outcome: str,
    submission: Submission | None,
    supporter_emails: dict[str, str],
    mails_by_id: dict[str, list[Mail]],
    verdict: Verdict,
) -> None:
    problems = verdict.problems
    rows = state.deliveries.get(question_id, [])
    # One delivery per mail the resident or supporter is meant to get (a resident may get several
    # different mails, e.g. the confirmation with their own page's link and the outcome): the same
    # template twice to the same role is a doubled mail.
    sent = collections.Counter((r["recipient_role"], r["template"]) for r in rows)
    roles = {role for role, _ in sent}
    expected = EXPECTED_ROLES[outcome]
    for (role, template), n in sent.items():
        if n > 1 or role not in expected:
            problems.append(
                Problem(
                    f"question {question_id} ({outcome}): {n} deliveries of {template} to the {role}",
                    kind="doubled",
                    subject=question_id,
                )
            )
    missing = expected - set(roles)
    if missing:
        problems.append(
            Problem(
                f"question {question_id} ({outcome}): no delivery to {sorted(missing)} yet",
                pending=True,
                subject=question_id,
            )
        )
    addresses = {"coordinator": COORDINATOR_EMAIL}
    if submission is not None:
        addresses["resident"] = submission.email
    booked = state.assignments.get(question_id, [])
    if booked:
        addresses["supporter"] = supporter_emails.get(booked[0]["supporter_id"], "?")
    for row in rows:
        arrived = mails_by_id.get(row["message_id"], [])
        if row["status"] != "sent" or not arrived:
            what = f"question {question_id}: mail to the {row['recipient_role']} is {row['status']}"
            pending = row["status"] == "sending" or not arrived
            problems.append(Problem(f"{what}, arrived {len(arrived)} times", pending=pending, subject=question_id))
            continue
        verdict.mails += 1
        verdict.mails_resent += len(arrived) - 1
        want = addresses.get(row["recipient_role"])
        wrong = [m.to for m in arrived if want is not None and m.to != (want,)]
        if wrong:
            problems.append(
                Problem(
                    f"question {question_id}: mail to the {row['recipient_role']} went to {wrong}", subject=question_id
                )
            )


def _check_capacity(state: State, scenario: set[str], waiting: int, problems: list[Problem]) -> None:
    for r in state.supporters:
        if r["active_cases"] != r["open"] or r["active_cases"] > r["capacity"]:
            problems.append(
                Problem(f"supporter {r['id']}: counter {r['active_cases']}, open assignments {r['open']},"
                        f" capacity {r['capacity']}", kind="doubled")
            )  # fmt: skip
    mine = [r for r in state.supporters if r["id"] in scenario]
    if waiting and sum(r["active_cases"] for r in mine) != sum(r["capacity"] for r in mine):
        used = {r["id"]: f"{r['active_cases']}/{r['capacity']}" for r in mine}
        problems.append(Problem(f"{waiting} questions wait while places are free: {used}", pending=True))


async def converge(read: Callable[[], Awaitable[Verdict]], timeout: float, poll: float = 0.5) -> tuple[Verdict, float]:
    """Read until nothing is pending any more (or ``timeout``); return the last verdict and the time taken."""
    started = time.monotonic()
    while True:
        try:
            verdict = await read()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:  # e.g. the database restarting
            verdict = Verdict([Problem(f"cannot read the state yet: {exc!r}", pending=True)])
        elapsed = time.monotonic() - started
        if not verdict.pending or elapsed > timeout:
            return verdict, elapsed
        await asyncio.sleep(poll)


def tally(problems: list[Problem], kind: str) -> int:
    """How many questions (or messages) the problems of ``kind`` are about, each counted once."""
    about = [p.subject or p.text for p in problems if p.kind == kind]
    return len(set(about))


def describe(problems: list[Problem], limit: int = 25) -> str:
    lines = [("(pending) " if p.pending else "") + p.text for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more")
    return "\n".join(lines)


# --- dead letters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    poison: str | None
    consumer: str
    reason: str
    ce_type: str
    ce_id: str


async def dead_letter_consumers(settings: Settings) -> dict[str, set[str]]:
    """For every topic, the consumer groups that read it (as ``dlq_consumer`` names them), from the
    services' own specs: a subscriber added later is expected to dead-letter poison as well."""
    groups: dict[str, set[str]] = collections.defaultdict(set)
    for name in SERVICE_NAMES:
        runtime: Runtime[Any] = Runtime(load_spec(name), settings)
        for subscriber in runtime.spec.subscribers(runtime.container):
            for topic in subscriber.topics:
                groups[topic].add(f"{name}.{subscriber.name}")
        await runtime.resources.aclose()  # the clients its container opened (no I/O was done)
    return dict(groups)


async def read_dead_letters(settings: Settings, timeout: float = 30.0) -> list[DeadLetter]:
    """Every record of every DLQ, up to the end offsets of now."""
    consumer = AIOKafkaConsumer(
        **broker.client_options(settings),
        enable_auto_commit=False,
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(dlq(topic), p)
            for topic in ALL_TOPICS
            for p in sorted(consumer.partitions_for_topic(dlq(topic)) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(partitions)
        async with asyncio.timeout(timeout):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for r in records:
                        h = header_map(r.headers)
                        letters.append(
                            DeadLetter(
                                r.topic, h.get(MARK), h.get("dlq_consumer", "?"), h.get("dlq_reason", "")[:160],
                                h.get("ce_type", ""), h.get("ce_id", ""),
                            )
                        )  # fmt: skip
    finally:
        await consumer.stop()
    return letters


def dead_letter_problems(
    letters: list[DeadLetter], poisons: list[Poison], consumers: dict[str, set[str]]
) -> list[Problem]:
    """The DLQs hold each poison once per consumer group of its topic, and nothing else."""
    problems = []
    expected = collections.Counter((p.id, c) for p in poisons for c in consumers.get(p.topic, ()))
    kinds = {p.id: f"{p.kind} on {p.topic}" for p in poisons}
    found = collections.Counter((d.poison, d.consumer) for d in letters if d.poison is not None)
    for poison, consumer in sorted(expected - found):
        problems.append(Problem(f"poison {poison} ({kinds[poison]}) not dead-lettered by {consumer}", pending=True))
    for (poison, consumer), n in sorted((found - expected).items()):
        what = kinds.get(poison or "", "not sent by this suite")
        problems.append(
            Problem(f"poison {poison} ({what}) dead-lettered {n} extra time(s) by {consumer}", kind="doubled")
        )
    for d in letters:
        if d.poison is None:
            problems.append(
                Problem(f"a good message in {d.topic}: {d.ce_type} {d.ce_id} by {d.consumer}: {d.reason}", kind="lost")
            )
    return problems
