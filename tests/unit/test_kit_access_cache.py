"""The key store's cache stays bounded under a flood of made-up keys, and keeps valid keys cached."""

from __future__ import annotations

import secrets
import sys
from typing import Any

from services.kit import access
from services.kit.access import KeyStore, secret_hash
from services.kit.access.cache import BoundedCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pool:
    """Stands in for the database: one valid key, and a count of the queries asked."""

    def __init__(self, valid: str) -> None:
        self.valid = valid
        self.queries = 0

    async def fetchrow(self, query: str, key_id: str) -> dict[str, Any] | None:
        self.queries += 1
        if key_id != self.valid.split("_")[1]:
            return None
        return {
            "organisation": "wijkteam",
            "scopes": ["submit"],
            "municipality": None,
            "secret_sha256": secret_hash(self.valid),
        }


def made_up() -> str:
    return f"slk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


async def test_ten_thousand_unknown_keys_keep_the_cache_at_its_bound() -> None:
    _, valid = access.new_key()
    pool = Pool(valid)
    store = KeyStore(pool, max_keys=100, max_unknown=500)  # type: ignore[arg-type]
    assert await store.authenticate(valid) is not None

    for _ in range(10_000):
        assert await store.authenticate(made_up()) is None

    assert len(store.unknown) == 500
    assert len(store.known) == 1
    queries = pool.queries
    assert (await store.authenticate(valid)) is not None  # the flood did not push the valid key out
    assert pool.queries == queries


async def test_the_default_bounds_hold_memory_to_a_few_megabytes() -> None:
    _, valid = access.new_key()
    store = KeyStore(Pool(valid))  # type: ignore[arg-type]
    for _ in range(10_000):
        await store.authenticate(made_up())
    assert len(store.unknown) == access.CACHE_MAX_UNKNOWN
    per_entry = sys.getsizeof(secret_hash(valid)) + 100  # the digest, a tuple and a dict slot, roughly
    assert len(store.unknown) * per_entry < 1_000_000


async def test_an_unknown_key_asked_again_costs_no_query_until_it_expires() -> None:
    _, valid = access.new_key()
    pool, clock = Pool(valid), Clock()
    store = KeyStore(pool, clock=clock)  # type: ignore[arg-type]
    unknown = made_up()
    await store.authenticate(unknown)
    await store.authenticate(unknown)
    assert pool.queries == 1
    clock.now += access.CACHE_SECONDS + 1
    await store.authenticate(unknown)
    assert pool.queries == 2


async def test_a_valid_key_is_looked_up_again_after_it_expires() -> None:
    _, valid = access.new_key()
    pool, clock = Pool(valid), Clock()
    store = KeyStore(pool, clock=clock)  # type: ignore[arg-type]
    await store.authenticate(valid)
    await store.authenticate(valid)
    assert pool.queries == 1
    clock.now += access.CACHE_SECONDS + 1
    await store.authenticate(valid)
    assert pool.queries == 2


async def test_the_cache_keeps_the_key_hash_not_the_key() -> None:
    _, valid = access.new_key()
    store = KeyStore(Pool(valid))  # type: ignore[arg-type]
    await store.authenticate(valid)
    assert secret_hash(valid) in store.known
    assert valid not in store.known


def test_least_recently_used_entries_go_first() -> None:
    clock = Clock()
    cache: BoundedCache[str, int] = BoundedCache(2, 10, clock)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is used: b is now the least recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    clock.now += 11
    assert cache.get("a") is None and len(cache) == 1
