"""One address policy for every call to a URL someone outside chose (partner webhooks).

A partner's URL must never make a service call into its own network (server-side request forgery):
the cloud's metadata service, the database, another pod, the loopback. So:

- :func:`refusal` says why an address is not a public one: anything ``ipaddress`` does not call
  global, and explicitly the ranges it misses on older Pythons: carrier-grade NAT (100.64.0.0/10,
  where clouds put metadata services), 6to4 (2002::/16) and Teredo, NAT64 (64:ff9b::/96) embedding
  a private IPv4 address, IPv4-mapped IPv6, link-local, multicast, documentation, benchmarking,
  reserved, unspecified, loopback and private ranges;
- :func:`resolve` resolves a name ONCE and refuses when it does not resolve or when any answer is
  not public (a name answering one public and one private address is refused as a whole);
- :class:`PinnedTransport` is the httpx transport that connects to exactly the address it checked:
  the request goes to that IP, keeping the ``Host`` header and, for https, the TLS server name
  (SNI) and the certificate check of the host name (httpcore's ``sni_hostname`` request extension).
  A DNS answer that changes between the check and the connection (DNS rebinding) cannot reach the
  second answer, because there is no second resolution;
- :func:`check_url` is the shape every such URL must have (https, no user name or password, no
  control characters, bounded), and :func:`check_destination` adds the address check, for the
  moment a URL is registered.

``allow_private`` (``SAMENLOKET_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES``) lifts the address policy and
allows ``http://``, for development and tests only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Final
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Resolves ``(host, port)`` to addresses; injectable so tests can play a DNS server.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

#: Longest URL accepted.
MAX_URL_LENGTH: Final = 2000
#: How long one resolution may take.
RESOLVE_SECONDS: Final = 5.0

_V4: Final = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT; cloud metadata services live here too
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata at 169.254.169.254)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
_V6: Final = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: embeds an IPv4 address, any of them
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_CONTROL: Final = re.compile(r"[\x00-\x20\x7f-\x9f]")
#: Names that only mean something inside a network (RFC 6761, RFC 8375 and common practice).
_LOCAL_SUFFIXES: Final = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp")


class Refused(ValueError):
    """The destination is not a public address (or the URL is not acceptable); never retried."""


class Unresolvable(OSError):
    """The host name did not resolve (now): nothing was connected; may succeed later."""


def refusal(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public internet address, or None when it is."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return f"{ip} is a link-local address"
        if ip in _NAT64:  # NAT64: public only when the IPv4 address inside is
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            reason = refusal(inner)
            return None if reason is None else f"{ip} embeds {inner}: {reason}"
        if any(ip in net for net in _V6):
            return f"{ip} is not a public address"
    elif any(ip in net for net in _V4):
        return f"{ip} is not a public address"
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_unspecified:
        return f"{ip} is not a public address"
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (``getaddrinfo``) for ``host``: every address, in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve(host: str, port: int, resolver: Resolver = system_resolver, allow_private: bool = False) -> str:
    """The one address to connect to for ``host``: resolved once and checked.

    Raises :class:`Unresolvable` when the name does not resolve (nothing is connected then), and
    :class:`Refused` when any of its addresses is not public (unless ``allow_private``).
    """
    literal = _literal(host)
    if literal is not None:
        answers = [str(literal)]
    else:
        try:
            async with asyncio.timeout(RESOLVE_SECONDS):
                answers = list(await resolver(host, port))
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise Unresolvable(f"{host} did not resolve ({type(exc).__name__})") from exc
        if not answers:
            raise Unresolvable(f"{host} did not resolve (no addresses)")
    if not allow_private:
        for answer in answers:
            reason = refusal(answer)
            if reason:
                raise Refused(f"{host} resolves to {reason}" if literal is None else reason)
    return str(ipaddress.ip_address(answers[0].split("%", 1)[0]))


def check_url(url: str, allow_private: bool = False) -> str:
    """The URL when its shape is acceptable, else :class:`Refused` saying why (no I/O).

    https only (http too when ``allow_private``), a host, no user name or password (secrets belong in
    the signing secret), no fragment, no control characters or spaces (``urlsplit`` would silently
    drop tabs and newlines), a valid port, at most :data:`MAX_URL_LENGTH` characters.
    """
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if _CONTROL.search(url):
        raise Refused("the URL may not contain spaces or control characters")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise Refused("give a full https:// URL, e.g. https://partner.example/samenloket/webhook")
    if parts.scheme == "http" and not allow_private:
        raise Refused("only https:// is allowed")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("the URL may not contain a user name or password")
    if parts.fragment:
        raise Refused("the URL may not contain a #fragment")
    try:
        _ = parts.port
    except ValueError as exc:
        raise Refused("the URL has an invalid port") from exc
    return url


def _local_name(host: str) -> bool:
    host = host.rstrip(".")
    return host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or ("." not in host and _literal(host) is None)


async def check_destination(url: str, allow_private: bool = False, resolver: Resolver = system_resolver) -> str:
    """The URL when it may be registered, else :class:`Refused` saying why.

    Besides :func:`check_url`: an IP address must be public, a name must not be a local one
    (``localhost``, ``*.internal``, a name without a dot, ...), and a name that resolves must resolve
    to public addresses only. A name that does not resolve yet is accepted (a partner may register
    before its DNS is live): every delivery resolves again and refuses what is not public.
    """
    check_url(url, allow_private)
    if allow_private:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _literal(host) is None and _local_name(host):
        raise Refused(f"{host} is a local name, not a public one")
    with contextlib.suppress(Unresolvable):
        await resolve(host, parts.port or 443, resolver)
    return url


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that resolves each request's host once, checks the address, and connects to
    exactly that address; ``Host`` and the TLS server name stay the URL's host name.

    Connections are not kept alive: every request resolves and checks anew, and a connection
    verified for one name is never reused for another name on the same address. Proxies from the
    environment are ignored (a proxy would resolve the name itself).
    """

    def __init__(
        self,
        resolver: Resolver = system_resolver,
        allow_private: bool = False,
        verify: ssl.SSLContext | bool | str = True,
    ) -> None:
        self.resolver = resolver
        self.allow_private = allow_private
        self._inner = httpx.AsyncHTTPTransport(
            verify=verify, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("https", "http") or (url.scheme == "http" and not self.allow_private):
            raise Refused(f"{url.scheme}:// is not allowed")
        host = url.raw_host.decode("ascii")  # IDNA-encoded, as DNS and TLS want it
        port = url.port or (443 if url.scheme == "https" else 80)
        address = await resolve(host, port, self.resolver, self.allow_private)
        extensions = dict(request.extensions)
        if url.scheme == "https" and _literal(host) is None:
            extensions["sni_hostname"] = host  # the certificate is checked against the name, not the IP
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,  # carries Host: <the name>, set when the request was built
            stream=request.stream,
            extensions=extensions,
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()
