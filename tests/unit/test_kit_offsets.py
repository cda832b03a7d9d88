"""Coalesced offset commits (services/kit/messaging/offsets.py) against a consumer that records its commits.

The real-broker side (a crash after handling, a rebalance, dead letters committed past) is in
tests/integration/test_kit_offsets.py.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from faststream.kafka.message import KafkaAckableMessage
from faststream.message import AckStatus

from services.kit.messaging.offsets import Offsets
from services.kit.messaging.reliability import Consumption, ReliableDelivery
from services.kit.messaging.subscriber import subscriber

T = "samenloket.questions"


class Consumer:
    """What the committer uses of an aiokafka consumer: its assignment, high water marks and commit."""

    def __init__(self, *partitions: int, fail: int = 0) -> None:
        self.assigned = {TopicPartition(T, p) for p in partitions}
        self.commits: list[dict[TopicPartition, int]] = []
        self.fail = fail
        self.release: asyncio.Event | None = None

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def highwater(self, tp: TopicPartition) -> int:
        return 100

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.release is not None:
            await self.release.wait()
        if self.fail:
            self.fail -= 1
            raise CommitFailedError("the group rebalanced")
        self.commits.append(dict(offsets))


def tp(partition: int) -> TopicPartition:
    return TopicPartition(T, partition)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_done_messages_are_committed_together_at_the_offset_after_the_last_of_each_partition() -> None:
    consumer = Consumer(0, 1)
    offsets = Offsets("unit", every=1000, delay=0.01)
    for offset in range(5):
        await offsets.done(consumer, T, 0, offset)
    await offsets.done(consumer, T, 1, 41)
    assert consumer.commits == [], "no round trip per message"
    await asyncio.sleep(0.05)
    assert consumer.commits == [{tp(0): 5, tp(1): 42}]


async def test_a_full_batch_is_committed_without_waiting_for_the_delay() -> None:
    consumer = Consumer(0)
    offsets = Offsets("unit", every=3, delay=3600)
    for offset in range(7):  # a handler awaits between messages: a commit task gets its turn
        await offsets.done(consumer, T, 0, offset)
        await settle()
    assert consumer.commits == [{tp(0): 3}, {tp(0): 6}]
    assert offsets.committer(consumer).pending == {tp(0): 7}, "the seventh waits for the next batch"


async def test_commits_of_one_consumer_go_one_after_the_other_and_never_back() -> None:
    consumer = Consumer(0)
    consumer.release = asyncio.Event()
    offsets = Offsets("unit", every=2, delay=3600)
    for offset in range(6):  # the first commit hangs; the later batches wait for it
        await offsets.done(consumer, T, 0, offset)
        await settle()
    consumer.release.set()
    await settle()
    assert consumer.commits == [{tp(0): 2}, {tp(0): 6}]


async def test_a_failed_commit_is_tried_again_with_the_next_batch() -> None:
    consumer = Consumer(0, 1, fail=1)
    offsets = Offsets("unit", every=2, delay=3600)
    await offsets.done(consumer, T, 0, 3)
    await offsets.done(consumer, T, 1, 7)
    await settle()
    assert consumer.commits == []
    await offsets.done(consumer, T, 0, 4)
    await offsets.done(consumer, T, 0, 5)
    await settle()
    assert consumer.commits == [{tp(0): 6, tp(1): 8}], "partition 1's offset kept, partition 0's superseded"


async def test_revoked_partitions_are_committed_at_once_and_then_forgotten() -> None:
    consumer = Consumer(0, 1)
    offsets = Offsets("unit", every=1000, delay=3600)
    await offsets.done(consumer, T, 0, 10)
    await offsets.done(consumer, T, 1, 20)
    await offsets.listener().on_partitions_revoked({tp(0)})
    assert consumer.commits == [{tp(0): 11}]
    assert offsets.committer(consumer).pending == {tp(1): 21}


async def test_a_message_done_after_its_partition_moved_on_is_not_committed_by_this_consumer() -> None:
    consumer = Consumer(0, 1)
    offsets = Offsets("unit", every=1000, delay=3600)
    await offsets.listener().on_partitions_revoked({tp(0), tp(1)})
    consumer.assigned = {tp(1)}  # partition 0 went to another consumer, which reads it again
    await offsets.done(consumer, T, 0, 10)
    await offsets.done(consumer, T, 1, 20)
    await offsets.close()
    assert consumer.commits == [{tp(1): 21}]


async def test_a_failed_commit_on_revocation_is_not_kept() -> None:
    consumer = Consumer(0, fail=1)
    offsets = Offsets("unit", every=1000, delay=3600)
    await offsets.done(consumer, T, 0, 10)
    await offsets.revoked({tp(0)})
    await offsets.close()
    assert consumer.commits == [], "after a rebalance the offset may be another consumer's to commit"


async def test_closing_commits_what_is_done_and_later_messages_at_once() -> None:
    consumer = Consumer(0)
    offsets = Offsets("unit", every=1000, delay=3600)
    await offsets.done(consumer, T, 0, 1)
    await offsets.close()
    assert consumer.commits == [{tp(0): 2}]
    await offsets.done(consumer, T, 0, 2)  # the message in hand while FastStream stops
    assert consumer.commits == [{tp(0): 2}, {tp(0): 3}]
    offsets.reopen()
    await offsets.done(consumer, T, 0, 3)
    assert consumer.commits == [{tp(0): 2}, {tp(0): 3}], "after a restart: batches again"


async def test_each_consumer_of_a_concurrent_subscriber_commits_its_own_partitions() -> None:
    first, second = Consumer(0), Consumer(1)
    offsets = Offsets("unit", every=1000, delay=3600)
    await offsets.done(first, T, 0, 5)
    await offsets.done(second, T, 1, 9)
    await offsets.close()
    assert first.commits == [{tp(0): 6}]
    assert second.commits == [{tp(1): 10}]


@pytest.mark.parametrize("consumer", [object(), None], ids=["fake", "none"])
def test_a_consumer_without_explicit_offsets_is_left_to_faststreams_own_ack(consumer: object) -> None:
    assert not Offsets.can_commit(consumer)
    assert Offsets.can_commit(Consumer(0))


class NoDeadLetters:
    async def send(self, record: object, headers: object) -> None:
        raise AssertionError("not in this test")


async def test_the_middleware_reports_a_done_message_instead_of_committing_the_consumers_position() -> None:
    """FastStream's own ack would call ``consumer.commit()`` (the position, a round trip per message)."""
    consumer = Consumer(0)
    record = ConsumerRecord(
        topic=T,
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=b"{}",
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=2,
        headers=[],
    )
    message = KafkaAckableMessage(raw_message=record, body=b"{}", consumer=consumer)
    consumption = Consumption("unit", subscriber("questions", T), None, NoDeadLetters())
    consumption.offsets = Offsets("unit", every=1000, delay=3600)
    await ReliableDelivery(message, context=None, consumption=consumption)._done(message)
    assert message.committed is AckStatus.ACKED
    assert consumer.commits == []
    await consumption.offsets.close()
    assert consumer.commits == [{tp(0): 8}]
