"""What a resident chose about being reached, apart from the channel: the opt-out link's token (a MAC of
a hash of the pseudonymous reference) and the quiet hours in which no SMS is sent. No I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, time, timedelta
from typing import Final
from urllib.parse import quote

from services.kit.http import same_secret
from services.notifications.domain import LOCAL_TZ

#: What the opt-out key is derived for (from the internal token).
OPT_OUT_PURPOSE: Final = b"samenloket-notifications-opt-out-v1"


def resident_ref_hash(resident_ref: str) -> str:
    """What the opt-out table keeps of a resident: a hash of the (already pseudonymous) reference."""
    return hashlib.sha256(resident_ref.encode()).hexdigest()


def opt_out_key(internal_token: str) -> bytes:
    """The HMAC key of opt-out links, derived from the internal token (never the token itself)."""
    return hmac.new(internal_token.encode(), OPT_OUT_PURPOSE, hashlib.sha256).digest()


def _mac(key: bytes, ref_hash: str) -> str:
    digest = hmac.new(key, ref_hash.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def opt_out_token(key: bytes, resident_ref: str) -> str:
    """``<hash of the resident ref>.<HMAC of it>``: the link names no resident, and cannot be forged."""
    ref_hash = resident_ref_hash(resident_ref)
    return f"{ref_hash}.{_mac(key, ref_hash)}"


def verify_opt_out_token(key: bytes, token: str) -> str | None:
    """The resident ref hash of a valid token, else None."""
    ref_hash, _, mac = token.partition(".")
    if not re.fullmatch(r"[0-9a-f]{64}", ref_hash) or not same_secret(mac, _mac(key, ref_hash)):
        return None
    return ref_hash


def opt_out_url(base_url: str, key: bytes, resident_ref: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/opt-out?token={quote(opt_out_token(key, resident_ref), safe='')}"


# --- SMS quiet hours ------------------------------------------------------------------------------

#: No SMS is sent from 21:00 until 08:00 local time.
QUIET_FROM: Final = time(21, 0)
QUIET_UNTIL: Final = time(8, 0)


def next_send_time(now: datetime) -> datetime:
    """When an SMS may go out: ``now`` itself outside 21:00-08:00 Europe/Amsterdam, else the next 08:00."""
    local = now.astimezone(LOCAL_TZ)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return now
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=LOCAL_TZ)
