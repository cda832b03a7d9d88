"""Who may submit and read which questions through the API. Pure rules, no I/O.

- A partner key (scope ``submit``) submits on behalf of its organisation: the question's channel is
  always ``partner`` and its referrer the key's organisation, whatever the body says.
- A staff key (scope ``staff``) enters phone and walk-in questions: channel ``phone`` or ``walk_in``,
  no referrer. A key with both scopes is staff for a phone or walk-in question, a partner otherwise.
- Reading: ``staff`` reads every question (of its municipality, when the key has one); ``read-own``
  reads only the questions its organisation referred. A question a key may not read is answered
  exactly like an unknown one (404), so its existence does not leak.
- A key limited to a municipality submits and reads for that municipality only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel

from contracts.codes import Channel
from services.kit.access import Principal

STAFF_CHANNELS: Final[tuple[Channel, ...]] = ("phone", "walk_in")
#: ``Idempotency-Key`` values: 1 to 100 letters, digits, '_' or '-'.
IDEMPOTENCY_KEY_PATTERN: Final = r"^[A-Za-z0-9_-]{1,100}$"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
#: At most this many questions in one listing.
LIST_LIMIT: Final = 200

OTHER_MUNICIPALITY: Final = (
    "Deze sleutel hoort bij een andere gemeente. / This key may only be used for municipality {mine}."
)
STAFF_CHANNEL: Final = (
    "Medewerkers voeren alleen vragen via telefoon of balie in: kies 'phone' of 'walk_in'. "
    "/ Staff entry is for channel 'phone' or 'walk_in'."
)
KEY_REUSED: Final = (
    "Deze Idempotency-Key is al gebruikt voor een andere vraag. "
    "/ This Idempotency-Key was already used with a different request body."
)


class EntryRefused(Exception):
    """A submission the key may not make; ``field`` names what to change (None: the key itself)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Entry:
    """How a question submitted with a key is recorded."""

    channel: Channel
    referrer: str | None


def entry_for(principal: Principal, channel: Channel, municipality: str) -> Entry:
    """The channel and referrer of a question ``principal`` submits; EntryRefused when it may not."""
    if not principal.may_see_municipality(municipality):
        raise EntryRefused(OTHER_MUNICIPALITY.format(mine=principal.municipality))
    if principal.has("staff") and channel in STAFF_CHANNELS:
        return Entry(channel, None)
    if principal.has("submit"):
        return Entry("partner", principal.organisation)
    raise EntryRefused(STAFF_CHANNEL, field="channel")


def check_municipality(principal: Principal, municipality: str) -> None:
    """EntryRefused when a key limited to another municipality acts for ``municipality``."""
    if not principal.may_see_municipality(municipality):
        raise EntryRefused(OTHER_MUNICIPALITY.format(mine=principal.municipality))


def may_read(principal: Principal, referrer: str | None, municipality: str) -> bool:
    """Whether ``principal`` may read a question referred by ``referrer`` in ``municipality``."""
    if not principal.may_see_municipality(municipality):
        return False
    if principal.has("staff"):
        return True
    return principal.has("read-own") and referrer is not None and referrer == principal.organisation


@dataclass(frozen=True)
class ReadScope:
    """The questions a listing may show: of one referrer and/or one municipality (None: any)."""

    referrer: str | None
    municipality: str | None


def read_scope(principal: Principal) -> ReadScope:
    """Staff list a municipality's (or every) question; anyone else only their own referrals."""
    if principal.has("staff"):
        return ReadScope(None, principal.municipality)
    return ReadScope(principal.organisation, principal.municipality)


def request_digest(key: bytes, body: BaseModel) -> str:
    """A keyed digest of the request body as validated: equal bodies (any key order) digest alike.

    Keyed (HMAC with intake's index key) because the body holds personal data: the digest must
    not let anyone confirm a guessed body.
    """
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, b"idempotency:" + canonical.encode(), hashlib.sha256).hexdigest()
