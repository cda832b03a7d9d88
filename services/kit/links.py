"""Personal links that two services can make alike without passing a secret over a topic.

Intake and notifications share the internal token. A link token is the HMAC of a subject (e.g. a
panel invitation's id) under a key derived from that token and the link's purpose: notifications
puts it in the resident's mail from the event alone, intake recomputes it to check a link. The
event carries only the id; a token is never stored, logged or published. Without a shared token
(a bare development run) no link can be made: :func:`link_token` raises.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def link_token(secret: str, purpose: str, subject: str) -> str:
    if not secret:
        raise ValueError("personal links need the shared internal token")
    key = hmac.new(secret.encode(), f"samenloket/links/{purpose}/v1".encode(), hashlib.sha256).digest()
    digest = hmac.new(key, subject.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_matches(secret: str, purpose: str, subject: str, token: str) -> bool:
    return bool(secret) and hmac.compare_digest(link_token(secret, purpose, subject), token)
