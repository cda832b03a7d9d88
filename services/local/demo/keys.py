"""The API keys `samenloket up --demo` makes: the demo partner's and the report readers', reused across runs."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.kit import access
from services.kit.access import Principal

#: The demo's API key: a partner organisation whose staff also enter phone and walk-in questions and
#: raise signals, and who coordinate the demo pool: the trickle accepts and ends support with it.
DEMO_ORG = "demo-loket"
DEMO_SCOPES = ("read-own", "staff", "submit", "coordinator")


@dataclass(frozen=True)
class DemoKey:
    """An API key `samenloket up --demo` makes for one audience: who holds it, its scopes and municipality."""

    organisation: str
    scopes: tuple[str, ...]
    municipality: str | None = None

    def fits(self, principal: Principal | None) -> bool:
        """Whether ``principal`` (a working key's; None when the key does not work) is this audience's key."""
        return (
            principal is not None
            and principal.organisation == self.organisation
            and set(self.scopes) <= principal.scopes
            and principal.municipality == self.municipality
        )


#: The demo partner's key (intake, matching, the trickle).
DEMO_PARTNER = DemoKey(DEMO_ORG, DEMO_SCOPES)


def demo_readers(desk: str) -> dict[str, DemoKey]:
    """Keys of the report readers, to sign in to the dashboard: the region's analyst, one municipality's
    signal desk (scope municipality, ``desk`` only) and the region's council (the whole region)."""
    return {
        "analyst": DemoKey("demo-regio-analyse", ("analyst",)),
        "desk": DemoKey("demo-gemeente", ("municipality",), desk),
        "council": DemoKey("demo-adviesraad", ("council",)),
    }


async def demo_key(database_url: str, previous: object, spec: DemoKey = DEMO_PARTNER) -> str:
    """A demo API key: the one of the previous run while it still works for ``spec``, else a new one.

    The embedded database outlives a run, so reusing the key keeps ``curl`` examples and scripts of
    the last run working and does not pile up a new key per start.
    """
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert pool is not None
    try:
        return await _reused_or_new(pool, previous, spec)
    finally:
        await pool.close()


async def all_demo_keys(database_url: str, previous: dict[str, object], desk: str) -> tuple[str, dict[str, str]]:
    """The demo partner's key and the report readers' keys (:func:`demo_readers`), reused where they work."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    assert pool is not None
    before = previous.get("demo_keys")
    readers = before if isinstance(before, dict) else {}
    try:
        partner = await _reused_or_new(pool, previous.get("demo_api_key"), DEMO_PARTNER)
        keys = {name: await _reused_or_new(pool, readers.get(name), spec) for name, spec in demo_readers(desk).items()}
        return partner, keys
    finally:
        await pool.close()


async def _reused_or_new(pool: asyncpg.Pool, previous: object, spec: DemoKey) -> str:
    if isinstance(previous, str) and spec.fits(await access.KeyStore(pool).authenticate(previous)):
        return previous
    async with pool.acquire() as conn:
        key: str = await access.create_key(
            conn, spec.organisation, list(spec.scopes), spec.municipality, label="samenloket up --demo"
        )
        return key
