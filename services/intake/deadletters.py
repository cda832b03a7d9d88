"""Sealed dead letters of the inbound topic: a partner's referral never lies in a DLQ in clear text.

A referral that cannot be taken (invalid, a BSN in its text, undecodable) goes to
``samenloket.referrals.inbound.dlq`` like any dead letter, but its value is sealed first with a data
key of its own. The key is kept in intake (``dead_letter_keys``, wrapped by the master key ring) with
the blind indexes of the e-mail address and phone number the referral named, read as far as the
message can be read. Erasing that resident deletes the key (:func:`forget`), and keys older than
:data:`RETENTION` are deleted by a background loop: either way the letter can never be opened again.
An operator replays a sealed letter with ``samenloket dlq replay``, which opens it through
:func:`opener` while its key exists.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from aiokafka import ConsumerRecord

from contracts.envelope import decode
from services.intake import store
from services.intake.domain import Identifiers
from services.intake.vault import Vault, where
from services.kit.db import Conn, Database
from services.kit.messaging.deadletters import DeadLetters, Headers

log = logging.getLogger(__name__)

#: The header naming the sealed letter (its key's id in intake).
SEALED_HEADER: Final = "dlq_sealed_letter"
#: How long a sealed letter can be opened (replayed) before its key goes.
RETENTION: Final = timedelta(days=30)


class SealedDeadLetters:
    """Wraps the service's dead-letter sink: seals the value, keeps the key, then hands the letter on."""

    def __init__(self, inner: DeadLetters, vault: Vault, index_key: bytes, database: Database) -> None:
        self.inner = inner
        self.vault = vault
        self.index_key = index_key
        self.database = database

    async def send(self, record: ConsumerRecord, headers: Headers) -> None:
        letter_id = str(uuid.uuid4())
        key, wrapped = self.vault.ring.new_data_key(where("dead_letters", "data_key", letter_id))
        sealed = key.seal_bytes(record.value or b"", where("dead_letters", "value", letter_id))
        ids = identifiers_of(record, self.index_key)
        async with self.database.db.acquire() as conn:
            await store.save_dead_letter_key(
                conn, letter_id, wrapped, ids, record.topic, record.partition, record.offset
            )
        letter = dataclasses.replace(record, value=sealed.encode())
        await self.inner.send(letter, [*headers, (SEALED_HEADER, letter_id.encode())])


def identifiers_of(record: ConsumerRecord, index_key: bytes) -> Identifiers:
    """The blind indexes of the contact a referral names, as far as the message can be read (else none)."""
    try:
        contact = decode(record.headers, record.value, record.key).data.get("contact")
        if isinstance(contact, dict):
            email, phone = contact.get("email"), contact.get("phone")
            return Identifiers.of(
                index_key, email if isinstance(email, str) else None, phone if isinstance(phone, str) else None
            )
    except Exception:  # an unreadable letter names no one; it is still sealed and expires
        log.debug("dead letter names no readable contact")
    return Identifiers(None, None)


async def forget(conn: Conn, ids: Identifiers) -> int:
    """Erasure: delete the keys of every letter naming this resident's e-mail address or phone number."""
    return await store.delete_dead_letter_keys(conn, ids)


def opener(database: Database, vault: Vault) -> Callable[[ConsumerRecord], Awaitable[bytes | None]]:
    """For replay: the letter's original value, or None when it is not sealed here or its key is gone."""

    async def open_letter(record: ConsumerRecord) -> bytes | None:
        letter_id = dict(record.headers or ()).get(SEALED_HEADER)
        if letter_id is None:
            return record.value
        letter = letter_id.decode()
        async with database.db.acquire() as conn:
            wrapped = await store.dead_letter_key(conn, letter)
        if wrapped is None:
            return None
        key = vault.ring.unwrap(wrapped, where("dead_letters", "data_key", letter))
        return key.open_bytes((record.value or b"").decode(), where("dead_letters", "value", letter))

    return open_letter


async def expire(database: Database, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    async with database.db.acquire() as conn:
        return await store.delete_dead_letter_keys_before(conn, now() - RETENTION)


def expiry_loop(database: Database, every: float = 3600.0) -> Callable[[], Awaitable[None]]:
    async def dead_letter_expiry() -> None:
        """Delete the keys of sealed dead letters older than the retention, now and then."""
        while True:
            try:
                gone = await expire(database)
                if gone:
                    log.info("sealed dead letters expired", extra={"count": gone})
            except Exception as exc:  # the next round tries again
                log.warning("expiring dead letters failed", extra={"error": repr(exc)})
            await asyncio.sleep(every)

    return dead_letter_expiry
