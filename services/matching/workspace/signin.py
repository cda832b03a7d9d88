"""The rules of signing in with an e-mail link, without I/O: tokens and their hashes, how long a link
lasts, where a supporter may be sent afterwards, and how a client is named in the audit."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Final

#: Where the supporters' pages live; their cookies are limited to it.
PATH: Final = "/mijn-vragen"
SIGN_IN_PATH: Final = f"{PATH}/inloggen"
SIGN_OUT_PATH: Final = f"{PATH}/uitloggen"
#: Pages of the supporters' pages that are no case.
RESERVED: Final = frozenset({"inloggen", "uitloggen"})
#: A link is good once, for this long.
LINK_LIFETIME: Final = timedelta(minutes=15)
#: What a token in a link looks like: 32 random bytes, URL-safe base64 without padding.
TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: A page of the supporters' own a link may lead back to (the list, or one case).
_RETURNABLE: Final = re.compile(r"^/mijn-vragen(/[A-Za-z0-9._:\-]{1,100})?$")
#: A plain e-mail address check: the form only needs to catch typing errors; the lookup decides.
_EMAIL: Final = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
MAX_EMAIL: Final = 254


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 (a copy of the table opens nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()


def audit_key(secret: str) -> bytes:
    """The key of the client and address hashes, derived from the internal token."""
    return hmac.new(secret.encode(), b"samenloket/matching/sign-in/v1", hashlib.sha256).digest()


def client_hash(key: bytes, client: str) -> str:
    """A keyed hash of the client's address: the audit can tell clients apart without keeping an IP."""
    return hmac.new(key, client.encode(), hashlib.sha256).hexdigest()[:20]


def address_key(email: str) -> str:
    """The rate limit's key of an e-mail address (never stored)."""
    return "address:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def email_problem(email: str) -> str | None:
    """Why ``email`` is not an e-mail address (Dutch, for the form), or None."""
    if not email:
        return "Vul uw e-mailadres in."
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        return "Vul een e-mailadres in zoals naam@voorbeeld.nl."
    return None


def safe_return(target: str | None) -> str:
    """Where to go after signing in: a page of the supporters' own (never the sign-in pages, never elsewhere)."""
    if target and _RETURNABLE.match(target) and target.rsplit("/", 1)[-1] not in RESERVED:
        return target
    return PATH


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{SIGN_IN_PATH}/{token}"
