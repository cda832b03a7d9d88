"""API keys and scopes: who may call which endpoint, for which organisation and municipality.

A key looks like ``slk_<key id>_<secret>``; it is shown once by ``samenloket apikey create`` and
only the SHA-256 of the secret is stored (in the ``access`` schema, which the kit owns and every
service reads, as it would an identity provider). The secret is 256 random bits, so a fast hash is
as safe as a slow one here: there is nothing to guess. Staff who sign in to pages with a key get a
server-side session (:mod:`services.kit.access.sessions`); revoking the key ends those sessions too.

Scopes:
- ``submit``: a partner organisation submits questions (API or topic);
- ``read-own``: a partner reads the questions it referred itself, and nothing else;
- ``staff``: intake staff enter phone and walk-in questions and read questions;
- ``coordinator``: coordinators of the joint consultation (matching);
- ``privacy-officer``: look-up, export and erasure of a resident's data, and the audit log (limited to
  ``municipality`` when the key has one);
- ``analyst`` / ``council``: reports, limited to ``municipality`` when the key has one; a council
  also raises signals and records its meetings;
- ``municipality``: the municipality's signal desk: reads, acknowledges and answers signals;
- ``operator``: the delivery log and other operational endpoints.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import Header, HTTPException, Request, status

from services.kit.access import sessions
from services.kit.access.cache import BoundedCache
from services.kit.access.principal import Principal
from services.kit.db import Conn
from services.kit.http import same_secret

SCHEMA = "access"
PACKAGE = "services.kit.access"
SCOPES = (
    "submit",
    "read-own",
    "staff",
    "coordinator",
    "privacy-officer",
    "analyst",
    "council",
    "municipality",
    "operator",
)
KEY_PATTERN = re.compile(r"^slk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
CACHE_SECONDS = 30.0
#: Most valid keys cached per process (each a few hundred bytes).
CACHE_MAX_KEYS = 10_000
#: Most unknown or revoked keys remembered per process.
CACHE_MAX_UNKNOWN = 2_000


def new_key() -> tuple[str, str]:
    """``(key_id, full key)`` for a fresh key."""
    key_id = secrets.token_hex(6)
    return key_id, f"slk_{key_id}_{secrets.token_urlsafe(32)}"


def secret_hash(full_key: str) -> str:
    return hashlib.sha256(full_key.encode()).hexdigest()


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scope(s) {unknown or '(none)'}; allowed: {', '.join(SCOPES)}")
    return sorted(set(scopes))


async def create_key(
    conn: Conn, organisation: str, scopes: list[str], municipality: str | None = None, label: str | None = None
) -> str:
    """Store a new key and return it in full (the only time it is ever seen)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,99}", organisation):
        raise ValueError("organisation must be 2-100 characters: lower-case letters, digits, '.', '_' or '-'")
    key_id, full = new_key()
    await conn.execute(
        "INSERT INTO access.api_keys (key_id, organisation, scopes, municipality, secret_sha256, label)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        key_id,
        organisation,
        check_scopes(scopes),
        municipality,
        secret_hash(full),
        label,
    )
    return full


async def revoke_key(conn: Conn, key_id: str) -> bool:
    """Revoke a key and end the page sessions signed in with it, in one transaction."""
    async with conn.transaction():
        result: str = await conn.execute(
            "UPDATE access.api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL", key_id
        )
        await sessions.end_sessions_of(conn, "api_key", key_id)
    return result.endswith(" 1")


async def list_keys(conn: Conn) -> list[dict[str, object]]:
    rows = await conn.fetch(
        "SELECT key_id, organisation, scopes, municipality, label, created_at, revoked_at"
        " FROM access.api_keys ORDER BY created_at"
    )
    return [dict(r) for r in rows]


class KeyStore:
    """Looks keys up in the database, with a short cache so a request costs no query.

    Both caches are bounded (least recently used first out) and expire, so a flood of made-up keys
    costs a bounded amount of memory: the answers for unknown keys are kept apart from the valid
    ones, so such a flood never pushes a valid key out. Entries are keyed by the key's hash, never
    by the key itself.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        max_keys: int = CACHE_MAX_KEYS,
        max_unknown: int = CACHE_MAX_UNKNOWN,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.pool = pool
        clock = clock or _now
        self.known: BoundedCache[str, Principal] = BoundedCache(max_keys, CACHE_SECONDS, clock)
        self.unknown: BoundedCache[str, bool] = BoundedCache(max_unknown, CACHE_SECONDS, clock)

    async def authenticate(self, full_key: str) -> Principal | None:
        match = KEY_PATTERN.match(full_key)
        if not match:
            return None
        digest = secret_hash(full_key)
        principal = self.known.get(digest)
        if principal is not None:
            return principal
        if digest in self.unknown:
            return None
        principal = await self._lookup(match.group(1), full_key)
        if principal is None:
            self.unknown.put(digest, True)
        else:
            self.known.put(digest, principal)
        return principal

    async def _lookup(self, key_id: str, full_key: str) -> Principal | None:
        row = await self.pool.fetchrow(
            "SELECT organisation, scopes, municipality, secret_sha256 FROM access.api_keys"
            " WHERE key_id = $1 AND revoked_at IS NULL",
            key_id,
        )
        if row is None or not same_secret(row["secret_sha256"], secret_hash(full_key)):
            return None
        return Principal(key_id, row["organisation"], frozenset(row["scopes"]), row["municipality"])


def _now() -> float:
    return time.monotonic()  # looked up at each call: tests move this module's clock


def bearer(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def require(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency admitting a valid key with at least one of ``scopes``.

    The key store is the service runtime's (``app.state.runtime.keys``), set when it starts.
    """
    unknown = [s for s in scopes if s not in SCOPES]
    assert not unknown, f"unknown scopes {unknown}"

    async def dependency(
        request: Request,
        authorization: str | None = Header(default=None),
        x_api_key: str | None = Header(default=None),
    ) -> Principal:
        token = bearer(authorization, x_api_key)
        store: KeyStore = request.app.state.runtime.keys
        principal = await store.authenticate(token) if token else None
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Geen geldige API-sleutel. / No valid API key (Authorization: Bearer slk_…).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not principal.has(*scopes):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"Deze sleutel mag dit niet. / This key lacks the scope: one of {', '.join(scopes)}.",
            )
        return principal

    return dependency
