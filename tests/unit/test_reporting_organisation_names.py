"""Reporting names organisations by the display names matching gives (over real HTTP), kept a few minutes,
and shows ids (or the last names known) while matching cannot answer."""

from __future__ import annotations

from pydantic import SecretStr

from services.kit.region import region_of
from services.kit.settings import Settings
from services.reporting.organisations import OrganisationNames
from tests.support.reporting_names import names_server

TOKEN = "reporting-test-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def directory(url: str, clock: Clock, token: str = TOKEN) -> OrganisationNames:
    return OrganisationNames(
        Settings(matching_url=url, internal_token=SecretStr(token)), fresh=300, retry=30, clock=clock
    )


async def test_names_are_asked_once_and_kept_until_they_are_stale() -> None:
    clock = Clock()
    with names_server(TOKEN) as matching:
        names = directory(matching.url, clock)
        assert (await names.names())["mee-plus"] == "MEE Plus"
        matching.names["mee-plus"] = "MEE Plus Drechtsteden"
        clock.now += 299
        assert (await names.names())["mee-plus"] == "MEE Plus"
        assert matching.calls == 1
        clock.now += 2
        assert (await names.names())["mee-plus"] == "MEE Plus Drechtsteden"
        assert matching.calls == 2
        await names.aclose()


async def test_while_matching_is_down_the_last_names_are_used_and_it_is_not_asked_on_every_page() -> None:
    clock = Clock()
    with names_server(TOKEN) as matching:
        names = directory(matching.url, clock)
        assert await names.names() != {}
        matching.down = True
        clock.now += 301
        assert (await names.names())["humanitas-drechtsteden"] == "Humanitas Drechtsteden"
        calls = matching.calls
        clock.now += 10
        await names.names()
        assert matching.calls == calls  # waits before trying again
        matching.down = False
        clock.now += 30
        await names.names()
        assert matching.calls == calls + 1
        await names.aclose()


async def test_without_names_the_ids_are_shown() -> None:
    clock = Clock()
    with names_server(TOKEN) as matching:
        wrong_token = directory(matching.url, clock, token="not-the-token")
        assert await wrong_token.names() == {}
        await wrong_token.aclose()
        url = matching.url
    nobody = directory(url, clock)  # the server is gone: connection refused
    assert await nobody.names() == {}
    await nobody.aclose()


async def test_the_region_files_names_and_referrers_are_the_base_and_serve_while_matching_is_down() -> None:
    """Referrers are no organisations of matching's: their names come from the region file alone."""
    clock = Clock()
    settings = Settings(matching_url="http://127.0.0.1:9", internal_token=SecretStr(TOKEN))
    names = OrganisationNames(settings, region_of(), fresh=300, retry=30, clock=clock)
    known = await names.names()
    assert known["huisarts-dordrecht"] == "Huisartsenpraktijk Dordrecht"
    assert known["humanitas-drechtsteden"] == "Humanitas Drechtsteden"
    with names_server(TOKEN) as matching:
        matching.names["mee-plus"] = "MEE Plus Drechtsteden"
        names = OrganisationNames(
            Settings(matching_url=matching.url, internal_token=SecretStr(TOKEN)), region_of(), clock=clock
        )
        both = await names.names()
        assert both["mee-plus"] == "MEE Plus Drechtsteden"  # matching's name wins
        assert both["huisarts-dordrecht"] == "Huisartsenpraktijk Dordrecht"
