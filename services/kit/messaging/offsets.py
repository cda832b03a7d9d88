"""Coalesced offset commits: the offsets of messages whose effect is durable, committed in batches.

Committing every message is a broker round trip per message (and an OffsetCommit request the broker
pays for). Instead the reliability middleware reports each message whose effect is durable — handled,
skipped as not handled here, a duplicate, or dead-lettered — with :meth:`Offsets.done`, and the
offsets are committed per consumer once :data:`COMMIT_EVERY` are pending or :data:`COMMIT_DELAY_SECONDS`
after the first, on partition revocation (before the partitions move on) and on shutdown.

The rule that keeps holding: nothing is ever committed past a message without effect. A consumer
handles its messages one after the other, so it commits the EXPLICIT offset after the last message
reported done on each partition (never the consumer's position, which may be past a message still in
hand); a message whose dead letter could not be sent is never reported, and the consumer seeks back
to it. A commit that fails (a rebalance, the broker away) loses nothing: the messages after the last
committed offset come again and change nothing (the inbox of a transactional subscriber, the
idempotency keys of a side effect). It is logged and its offsets are tried again with the next batch
while their partitions are still this consumer's. Consumers of a concurrent subscriber
(``workers`` > 1) each commit their own partitions.

``samenloket_consumer_lag`` is noted per partition at each commit: how far the last message done is
behind the end of its partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any, Final

from aiokafka import ConsumerRebalanceListener, TopicPartition

from services.kit.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)

#: Commit once this many messages of a consumer are done…
COMMIT_EVERY: Final = 200
#: …or this long after the first of them. A consumer here handles tens of messages a second: at
#: 0.2 s it still committed every few messages (the commit was 5 % of matching's samples); a crash
#: redelivers at most this much, to no effect.
COMMIT_DELAY_SECONDS: Final = 0.5
#: How long a commit on revocation or shutdown may take before the consumer moves on without it.
FINAL_COMMIT_SECONDS: Final = 5.0


class PartitionCommitter:
    """The offsets of one aiokafka consumer waiting to be committed, and their commits one at a time."""

    def __init__(self, consumer: Any, service: str, *, every: int, delay: float) -> None:
        self.consumer = consumer
        self.service = service
        self.every = every
        self.delay = delay
        #: Per partition: the offset after the last message done (what a commit stores).
        self.pending: dict[TopicPartition, int] = {}
        self.count = 0
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._lock = asyncio.Lock()

    def done(self, topic: str, partition: int, offset: int) -> None:
        """The message at ``offset`` had its effect (every earlier one of its partition had theirs)."""
        self.pending[TopicPartition(topic, partition)] = offset + 1
        self.count += 1
        if self.count >= self.every:
            self.flush_soon()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self.flush_soon)

    def flush_soon(self) -> None:
        """Commit what is pending in a task of its own (after the commit in flight, if there is one)."""
        self.cancel_timer()
        self.count = 0
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._flush_until_empty(), name="samenloket-offset-commit")

    async def _flush_until_empty(self) -> None:
        await self.flush()
        while self._again:
            self._again = False
            await self.flush()

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def flush(self, only: Iterable[TopicPartition] | None = None, *, final: bool = False) -> None:
        """Commit the pending offsets (of the partitions ``only``, if given); ``final``: never keep them."""
        async with self._lock:
            if only is None:
                offsets, self.pending = self.pending, {}
            else:
                offsets = {tp: self.pending.pop(tp) for tp in set(only) if tp in self.pending}
            if not offsets:
                return
            try:
                assigned = self.consumer.assignment()
            except Exception:  # a consumer that stopped: nothing is its own any more
                assigned = set()
            ours = {tp: offset for tp, offset in offsets.items() if tp in assigned}
            if len(ours) < len(offsets):  # moved to another consumer: it reads them again, to no effect
                log.info("offsets of partitions no longer assigned not committed", extra={"offsets": _show(offsets)})
            if not ours:
                return
            self._note_lag(ours)
            try:
                await self.consumer.commit(ours)
            except Exception as exc:  # nothing lost: what follows the last commit comes again, to no effect
                log.warning(
                    "offset commit failed; the messages since the last commit may come again, to no effect",
                    extra={"offsets": _show(ours), "error": repr(exc)},
                )
                if not final:
                    for tp, offset in ours.items():
                        self.pending.setdefault(tp, offset)  # a later offset of the same partition wins

    def _note_lag(self, offsets: dict[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            with contextlib.suppress(Exception):
                end = self.consumer.highwater(tp)
                if end is not None:
                    CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(max(end - offset, 0))


class Offsets:
    """The committers of one subscriber: one per aiokafka consumer (a concurrent subscriber has several)."""

    def __init__(self, service: str, *, every: int = COMMIT_EVERY, delay: float = COMMIT_DELAY_SECONDS) -> None:
        self.service = service
        self.every = every
        self.delay = delay
        self.committers: dict[int, PartitionCommitter] = {}
        #: Shutting down: every message is committed as soon as it is done, as the consumer stops next.
        self.stopping = False

    @staticmethod
    def can_commit(consumer: Any) -> bool:
        """Whether ``consumer`` commits explicit offsets (FastStream's in-memory test broker's does not)."""
        return hasattr(consumer, "assignment") and hasattr(consumer, "highwater")

    def committer(self, consumer: Any) -> PartitionCommitter:
        committer = self.committers.get(id(consumer))
        if committer is None or committer.consumer is not consumer:
            committer = PartitionCommitter(consumer, self.service, every=self.every, delay=self.delay)
            self.committers[id(consumer)] = committer
        return committer

    async def done(self, consumer: Any, topic: str, partition: int, offset: int) -> None:
        """The message at ``offset`` of ``topic``/``partition``, read by ``consumer``, had its effect."""
        committer = self.committer(consumer)
        committer.done(topic, partition, offset)
        if self.stopping:
            committer.cancel_timer()
            await _bounded(committer.flush(final=True))

    async def revoked(self, partitions: Iterable[TopicPartition]) -> None:
        """Commit what is done of ``partitions`` before they move to another consumer."""
        revoked = set(partitions)
        for committer in list(self.committers.values()):
            await _bounded(committer.flush(revoked, final=True))

    async def close(self) -> None:
        """Commit everything done; from now on every message is committed as soon as it is done."""
        self.stopping = True
        for committer in list(self.committers.values()):
            committer.cancel_timer()
            await _bounded(committer.flush(final=True))

    def reopen(self) -> None:
        """After the consumers stopped: batches again, should the subscriber start anew."""
        self.stopping = False
        self.committers.clear()

    def listener(self) -> ConsumerRebalanceListener:
        return _CommitOnRevoke(self)


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, offsets: Offsets) -> None:
        self.offsets = offsets

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.offsets.revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


async def _bounded(flush: Any) -> None:
    try:
        await asyncio.wait_for(flush, FINAL_COMMIT_SECONDS)
    except TimeoutError:
        log.warning("offset commit took too long; the messages since the last commit may come again, to no effect")


def _show(offsets: dict[TopicPartition, int]) -> dict[str, int]:
    return {f"{tp.topic}/{tp.partition}": offset for tp, offset in offsets.items()}
