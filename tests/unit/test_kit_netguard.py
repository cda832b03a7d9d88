"""The one address policy for URLs chosen outside (webhooks): public addresses only, resolved once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from services.kit import netguard
from services.kit.netguard import Refused, Unresolvable, check_destination, check_url, refusal, resolve

NOT_PUBLIC = [
    "100.64.0.1",  # carrier-grade NAT (cloud metadata services)
    "100.100.100.200",  # Alibaba Cloud's metadata address
    "100.127.255.254",
    "169.254.169.254",  # link-local metadata
    "127.0.0.1",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.0.7",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",  # 6to4 relay anycast
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.7",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:8.8.8.8",  # IPv4-mapped, even of a public address
    "2002:a00:1::",  # 6to4 embedding 10.0.0.1
    "2002:7f00:1::1",  # 6to4 embedding 127.0.0.1
    "2002:808:808::1",  # 6to4 of a public address: refused as a whole
    "64:ff9b::a00:1",  # NAT64 embedding 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 embedding 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 embedding 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2001::1",  # Teredo
    "2001:db8::1",
    "3fff::1",
    "5f00::1",
    "100::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "ff0e::1",
]
PUBLIC = ["8.8.8.8", "93.184.215.14", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::1", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_every_non_public_address_is_refused(address: str) -> None:
    assert refusal(address) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_a_link_local_address_with_a_zone_is_refused() -> None:
    assert refusal("fe80::1%eth0") is not None


def answering(*answers: Sequence[str] | Exception) -> netguard.Resolver:
    """A DNS stand-in: each call gives the next answer (an exception is raised)."""
    remaining = list(answers)
    calls: list[str] = []

    async def resolver(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        answer = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    resolver.calls = calls  # type: ignore[attr-defined]
    return resolver


async def test_a_name_resolves_once_to_its_first_public_address() -> None:
    resolver = answering(["93.184.215.14", "2606:4700::1111"])
    assert await resolve("partner.example", 443, resolver) == "93.184.215.14"
    assert resolver.calls == ["partner.example"]  # type: ignore[attr-defined]


async def test_a_failed_resolution_refuses() -> None:
    with pytest.raises(Unresolvable):
        await resolve("partner.example", 443, answering(OSError("Name or service not known")))
    with pytest.raises(Unresolvable):
        await resolve("partner.example", 443, answering([]))


async def test_a_name_with_any_private_answer_is_refused_as_a_whole() -> None:
    with pytest.raises(Refused, match=r"10\.0\.0\.1"):
        await resolve("partner.example", 443, answering(["93.184.215.14", "10.0.0.1"]))
    with pytest.raises(Refused, match=r"100\.64"):
        await resolve("metadata.example", 80, answering(["100.64.0.1"]))


async def test_ip_literals_are_checked_without_resolving() -> None:
    resolver = answering(OSError("must not be asked"))
    with pytest.raises(Refused):
        await resolve("2002:a00:1::", 443, resolver)
    assert await resolve("8.8.8.8", 443, resolver) == "8.8.8.8"
    assert resolver.calls == []  # type: ignore[attr-defined]


async def test_development_may_allow_private_addresses() -> None:
    assert await resolve("localhost", 80, answering(["127.0.0.1"]), allow_private=True) == "127.0.0.1"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://partner.example/\x00hook", "control"),
        ("https://partner.example/ho\nok", "control"),
        ("https://part\tner.example/hook", "control"),
        ("https://partner.example/ hook", "control"),
        ("https://partner.example/\x7fhook", "control"),
        ("https://partner.example/\u0085hook", "control"),
        ("http://partner.example/hook", "https"),
        ("ftp://partner.example/hook", "https"),
        ("https://user:pw@partner.example/hook", "user name"),
        ("https://user@partner.example/hook", "user name"),
        ("https://partner.example/hook#top", "fragment"),
        ("https://partner.example:99999/hook", "port"),
        ("https://partner.example/" + "a" * 2000, "longer"),
    ],
)
def test_url_shape(url: str, why: str) -> None:
    with pytest.raises(Refused, match=why):
        check_url(url)


def test_http_is_allowed_in_development_only() -> None:
    assert check_url("http://127.0.0.1:9000/hook", allow_private=True)
    with pytest.raises(Refused):
        check_url("http://127.0.0.1:9000/hook")


@pytest.mark.parametrize(
    "url",
    [
        "https://100.64.0.1/hook",
        "https://[2002:a00:1::]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://printer.local/hook",
        "https://metadata/hook",
    ],
)
async def test_registration_refuses_local_destinations(url: str) -> None:
    with pytest.raises(Refused):
        await check_destination(url, resolver=answering(["93.184.215.14"]))


async def test_registration_refuses_a_name_resolving_inside() -> None:
    with pytest.raises(Refused, match=r"10\.1\.2\.3"):
        await check_destination("https://partner.example/hook", resolver=answering(["10.1.2.3"]))


async def test_registration_accepts_a_public_or_not_yet_resolving_name() -> None:
    url = "https://partner.example/hook"
    assert await check_destination(url, resolver=answering(["93.184.215.14"])) == url
    assert await check_destination(url, resolver=answering(OSError("not yet in DNS"))) == url


async def test_registration_in_development_accepts_local_http() -> None:
    url = "http://127.0.0.1:9000/hook"
    assert await check_destination(url, allow_private=True) == url
