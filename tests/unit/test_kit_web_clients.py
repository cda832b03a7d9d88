"""The client address a per-client limit keys on: the socket's peer, or behind our own proxies the
right-most untrusted address of X-Forwarded-For, never the client-chosen left-most one."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from services.kit.web.clients import client_address, parse_networks

PROXIES = parse_networks("10.0.0.0/8, fd00::/8")


def request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers, "method": "POST", "path": "/"})


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address(request("127.0.0.1", "198.51.100.7"), ()) == "127.0.0.1"


def test_a_peer_that_is_not_our_proxy_cannot_choose_its_address() -> None:
    assert client_address(request("203.0.113.9", "198.51.100.7"), PROXIES) == "203.0.113.9"


def test_behind_our_proxy_the_address_it_appended_counts() -> None:
    assert client_address(request("10.1.2.3", "198.51.100.7"), PROXIES) == "198.51.100.7"


@pytest.mark.parametrize("spoofed", ["1.1.1.1", "6.6.6.6, 7.7.7.7", "10.9.9.9", "nonsense", "2001:db8::1"])
def test_what_the_client_wrote_to_the_left_is_never_believed(spoofed: str) -> None:
    assert client_address(request("10.1.2.3", f"{spoofed}, 198.51.100.7"), PROXIES) == "198.51.100.7"


def test_a_chain_of_our_proxies_is_walked_from_the_right() -> None:
    assert client_address(request("10.1.2.3", "6.6.6.6, 198.51.100.7, 10.4.5.6"), PROXIES) == "198.51.100.7"
    assert client_address(request("10.1.2.3", "6.6.6.6, 198.51.100.7", "10.4.5.6"), PROXIES) == "198.51.100.7"


def test_only_trusted_hops_give_the_left_most_one() -> None:
    assert client_address(request("10.1.2.3", "10.7.7.7, 10.4.5.6"), PROXIES) == "10.7.7.7"


def test_no_header_from_our_proxy_gives_the_proxy() -> None:
    assert client_address(request("10.1.2.3"), PROXIES) == "10.1.2.3"


def test_garbage_appended_stops_at_the_last_address_we_can_vouch_for() -> None:
    assert client_address(request("10.1.2.3", "nonsense"), PROXIES) == "10.1.2.3"


@pytest.mark.parametrize(
    ("written", "client"),
    [("[2001:db8::7]:443", "2001:db8::7"), ("198.51.100.7:5123", "198.51.100.7"), ("2001:db8::7", "2001:db8::7")],
)
def test_the_forms_proxies_write(written: str, client: str) -> None:
    assert client_address(request("fd00::1", written), PROXIES) == client


def test_an_ipv4_mapped_peer_is_its_ipv4_address() -> None:
    assert client_address(request("::ffff:10.1.2.3", "198.51.100.7"), PROXIES) == "198.51.100.7"


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        parse_networks("10.0.0.0/8,nonsense")
    assert parse_networks("") == ()
