"""The contact cache keeps supporters' details for a short while and residents' never."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from services.notifications.domain import ResidentContact, SupporterContact
from services.notifications.supporter_cache import CachedContacts


class Directory:
    """Matching and intake as a dictionary; counts the calls."""

    def __init__(self) -> None:
        self.supporters = {"s-1": SupporterContact("s-1", "Fatima", "fatima@example.nl", "org-mee", "MEE Plus")}
        self.residents = {"q-1": ResidentContact("q-1", "r-1", "Anna", "anna@example.nl", None, True)}
        self.supporter_calls = 0
        self.resident_calls = 0
        #: Set: the next supporter call waits until released (a change arriving meanwhile).
        self.hold: asyncio.Event | None = None

    async def resident(self, question_id: str) -> ResidentContact | None:
        self.resident_calls += 1
        return self.residents.get(question_id)

    async def supporter(self, supporter_id: str) -> SupporterContact | None:
        self.supporter_calls += 1
        found = self.supporters.get(supporter_id)
        if self.hold is not None:
            await self.hold.wait()
        return found

    async def aclose(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def cache(directory: Directory, clock: Clock | None = None, max_entries: int = 10) -> CachedContacts:
    cached = CachedContacts(directory, ttl=60.0, max_entries=max_entries, clock=clock or Clock())
    cached.listening = True
    return cached


async def test_a_supporter_is_asked_of_matching_once() -> None:
    directory = Directory()
    cached = cache(directory)
    first = await cached.supporter("s-1")
    again = await cached.supporter("s-1")
    assert first == again
    assert first is not None and first.email == "fatima@example.nl"
    assert directory.supporter_calls == 1


async def test_a_forgotten_supporter_is_asked_again_and_the_new_address_used() -> None:
    directory = Directory()
    cached = cache(directory)
    await cached.supporter("s-1")
    directory.supporters["s-1"] = replace(directory.supporters["s-1"], email="f.elamrani@example.nl", name="F. Amrani")
    cached.forget("s-1")
    changed = await cached.supporter("s-1")
    assert changed is not None and (changed.email, changed.name) == ("f.elamrani@example.nl", "F. Amrani")
    assert directory.supporter_calls == 2


async def test_an_answer_fetched_while_the_supporter_changed_is_not_kept() -> None:
    directory = Directory()
    cached = cache(directory)
    directory.hold = asyncio.Event()
    fetching = asyncio.create_task(cached.supporter("s-1"))
    await asyncio.sleep(0)
    cached.forget("s-1")  # the change arrives while matching's (older) answer is on its way
    directory.hold.set()
    await fetching
    assert not cached.cached("s-1")
    directory.hold = None
    await cached.supporter("s-1")
    assert cached.cached("s-1")


async def test_entries_expire_and_the_oldest_go_first() -> None:
    directory = Directory()
    clock = Clock()
    cached = cache(directory, clock, max_entries=2)
    await cached.supporter("s-1")
    clock.now += 61
    await cached.supporter("s-1")
    assert directory.supporter_calls == 2, "older than the TTL: asked again"

    for n in (2, 3):
        directory.supporters[f"s-{n}"] = replace(directory.supporters["s-1"], supporter_id=f"s-{n}")
        await cached.supporter(f"s-{n}")
    assert [cached.cached(s) for s in ("s-1", "s-2", "s-3")] == [False, True, True]


async def test_nothing_is_cached_while_changes_cannot_be_heard() -> None:
    directory = Directory()
    cached = cache(directory)
    cached.listening = False
    await cached.supporter("s-1")
    await cached.supporter("s-1")
    assert directory.supporter_calls == 2
    assert not cached.cached("s-1")


async def test_unknown_supporters_are_not_cached() -> None:
    directory = Directory()
    cached = cache(directory)
    assert await cached.supporter("s-9") is None
    directory.supporters["s-9"] = replace(directory.supporters["s-1"], supporter_id="s-9")
    assert await cached.supporter("s-9") is not None


async def test_residents_are_never_cached() -> None:
    directory = Directory()
    cached = cache(directory)
    await cached.resident("q-1")
    directory.residents["q-1"] = replace(directory.residents["q-1"], email="anna.devries@example.nl")
    again = await cached.resident("q-1")
    assert again is not None and again.email == "anna.devries@example.nl"
    assert directory.resident_calls == 2
    assert not cached.cached("q-1")
