"""Who is asking: the client address a per-client limit keys on.

The address is the socket's peer, unless that peer is one of our own reverse proxies (the setting
``SAMENLOKET_TRUSTED_PROXIES``: CIDRs, comma-separated, e.g. the ingress controller's pod range).
Only then is ``X-Forwarded-For`` read, from the right: each proxy appends the address it was
reached from, so the right-most address that is not a trusted proxy is the client. Everything to
its left was written by the client and is never believed (else rotating the header would give an
attacker a fresh budget per request). uvicorn's own header handling is off (``samenloket serve``
runs it with ``proxy_headers=False``), so this is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: More hops than this in X-Forwarded-For are not looked at (a bound on work per request).
MAX_HOPS = 20


@lru_cache(maxsize=16)
def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, fd00::/8, 192.0.2.7"`` → networks; ValueError naming a bad entry."""
    networks = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR range: {entry!r}") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as proxies write it: ``192.0.2.7``, ``2001:db8::7``, ``[2001:db8::7]:443``, ``192.0.2.7:443``."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(connection: HTTPConnection, trusted: Sequence[Network]) -> str:
    """The address a per-client limit keys on (see the module's docstring)."""
    peer_text = connection.client.host if connection.client else ""
    peer = _address(peer_text)
    if peer is None:
        return peer_text or "unknown"
    if not trusted or not _trusted(peer, trusted):
        return str(peer)
    hops = [hop for value in connection.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    current = peer
    for hop in reversed(hops[-MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            break  # garbage written by someone: the last address we can vouch for is the client
        current = address
        if not _trusted(address, trusted):
            break
    return str(current)
