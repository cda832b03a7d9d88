"""Intake's encryption at rest: where each personal value is sealed, and with which key.

Per resident a random data key seals their name, e-mail, phone and the descriptions of their
questions; the key itself is stored wrapped by the master key ring (``residents.data_key``), so
deleting it shreds everything it sealed. Signal texts belong to no resident and are sealed with the
ring directly. Every value is bound to its table, column and row (the associated data), so a
sealed value moved to another row does not open. See ``services/kit/crypto.py`` for the format.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.events import Contact, PreferredChannel
from services.intake.settings import IntakeSettings
from services.kit.crypto import DataKey, KeyRing, Secrets, context, secrets_of


def where(table: str, column: str, row_id: str) -> str:
    """The associated data of one intake value."""
    return context("intake", table, column, row_id)


@dataclass(frozen=True)
class SealedContact:
    """A resident's contact details as stored: every personal field sealed with the resident's data key.

    ``preferred_channel`` (email, sms, none) is a code, not personal data, and is stored plain.
    """

    name: str
    email: str | None
    phone: str | None
    preferred_channel: PreferredChannel | None = None


@dataclass(frozen=True)
class OpenContact:
    name: str
    email: str | None
    phone: str | None


class Vault:
    """Seals and opens intake's personal data with the master key ring and residents' data keys."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    # --- residents' data keys -------------------------------------------------------------------

    def new_resident_key(self, resident_ref: str) -> tuple[DataKey, str]:
        """A fresh data key for a new resident and its wrapped form for ``residents.data_key``."""
        return self.ring.new_data_key(where("residents", "data_key", resident_ref))

    def resident_key(self, resident_ref: str, wrapped: str) -> DataKey:
        return self.ring.unwrap(wrapped, where("residents", "data_key", resident_ref))

    def rewrap(self, resident_ref: str, wrapped: str) -> str:
        """The resident's data key wrapped by the current master key (after a rotation)."""
        return self.ring.rewrap(wrapped, where("residents", "data_key", resident_ref))

    # --- contact details and descriptions -------------------------------------------------------

    def seal_contact(self, key: DataKey, resident_ref: str, contact: Contact) -> SealedContact:
        return SealedContact(
            name=key.seal(contact.name, where("residents", "name", resident_ref)),
            email=key.seal_optional(contact.email, where("residents", "email", resident_ref)),
            phone=key.seal_optional(contact.phone, where("residents", "phone", resident_ref)),
            preferred_channel=contact.preferred_channel,
        )

    def open_contact(
        self, key: DataKey, resident_ref: str, name: str | None, email: str | None, phone: str | None
    ) -> OpenContact:
        return OpenContact(
            name=key.open_optional(name, where("residents", "name", resident_ref)) or "",
            email=key.open_optional(email, where("residents", "email", resident_ref)),
            phone=key.open_optional(phone, where("residents", "phone", resident_ref)),
        )

    def seal_description(self, key: DataKey, question_id: str, text: str) -> str:
        return key.seal(text, where("questions", "description", question_id))

    def open_description(self, key: DataKey, question_id: str, sealed: str) -> str:
        return key.open(sealed, where("questions", "description", question_id))

    # --- texts of no resident -------------------------------------------------------------------

    def seal_text(self, table: str, column: str, row_id: str, text: str) -> str:
        """A free text tied to no resident (a signal's text), sealed with the master key ring."""
        return self.ring.seal(text, where(table, column, row_id))

    def open_text(self, table: str, column: str, row_id: str, sealed: str) -> str:
        return self.ring.open(sealed, where(table, column, row_id))


def intake_secrets(settings: IntakeSettings) -> Secrets:
    """The key ring and blind-index key of this intake (settings, else ``<data_dir>/secrets.json``)."""
    return secrets_of(
        settings.encryption_keys.get_secret_value(), settings.index_key.get_secret_value(), settings.data_dir
    )
