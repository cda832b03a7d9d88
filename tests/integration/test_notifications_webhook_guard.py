"""Outgoing webhook calls against real local servers: DNS rebinding cannot reach a second answer, TLS
keeps the host name, and a receiver that trickles or floods cannot hold the consumer.

The DNS stand-ins answer a public address first and 127.0.0.1 afterwards, the shape of a rebinding
attack: a client that resolves twice (once to check, once to connect) ends up on the loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from contracts.envelope import CloudEvent
from services.kit import netguard
from services.notifications.domain import TransientDeliveryError
from services.notifications.partner_webhooks import PartnerWebhook, WebhookPoster

pytestmark = pytest.mark.integration

PUBLIC = "93.184.215.14"
EVENT = CloudEvent(type="nl.samenloket.referral.status_changed.v1", source="/samenloket/intake", subject="s", data={})


class Counting:
    """A local HTTP server on 127.0.0.1 that counts the requests reaching it (the attacker's target)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, str]] = []
        self.server_names: list[str | None] = []
        counting = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                counting.requests.append(dict(self.headers.items()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)  # type: ignore[assignment,misc]
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Counting:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
async def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The event loop's resolver answers ``rebind.test`` with a public address the first time and
    127.0.0.1 every time after; any other name is resolved as usual. Returns the names asked."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    asked: list[str] = []

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name != "rebind.test":
            return await real(host, port, *args, **kwargs)
        asked.append(name)
        address = PUBLIC if len(asked) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return asked


async def test_a_rebinding_name_never_reaches_the_second_answer(rebinding_dns: list[str]) -> None:
    poster = WebhookPoster(timeout=httpx.Timeout(3.0))
    try:
        with Counting() as target:
            with pytest.raises(TransientDeliveryError):  # the public address does not answer here
                await poster.post(PartnerWebhook(f"https://rebind.test:{target.port}/hook", "whsec_x"), EVENT)
            assert target.requests == []
    finally:
        await poster.aclose()
    assert rebinding_dns == ["rebind.test"]  # resolved once, never again


def rebinding_resolver() -> netguard.Resolver:
    calls: list[str] = []

    async def resolver(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        return [PUBLIC] if len(calls) == 1 else ["127.0.0.1"]

    return resolver


async def test_the_pinned_transport_connects_to_exactly_the_checked_address() -> None:
    connects: list[dict[str, Any]] = []

    async def trace(name: str, info: dict[str, Any]) -> None:
        if name == "connection.connect_tcp.started":
            connects.append(info)

    transport = netguard.PinnedTransport(rebinding_resolver())
    async with httpx.AsyncClient(transport=transport, timeout=3.0) as client:
        with Counting() as target:
            for _ in range(2):  # the second request resolves again: 127.0.0.1 now, refused before connecting
                with contextlib.suppress(httpx.HTTPError, netguard.Refused):
                    await client.post(f"https://rebind.test:{target.port}/hook", extensions={"trace": trace})
            assert target.requests == []
    assert [c["host"] for c in connects] == [PUBLIC]


async def test_a_name_that_does_not_resolve_is_never_connected() -> None:
    async def nothing(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    poster = WebhookPoster(resolver=nothing)
    try:
        with pytest.raises(TransientDeliveryError, match="did not resolve"):
            await poster.post(PartnerWebhook("https://partner.example/hook", "whsec_x"), EVENT)
    finally:
        await poster.aclose()


# --- TLS keeps the host name --------------------------------------------------------------------------


def certificate(tmp: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for ``name``: (the server's context, a client context trusting it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


async def loopback(host: str, port: int) -> Sequence[str]:
    return ["127.0.0.1"]


async def test_tls_goes_to_the_pinned_address_with_the_names_sni_host_and_certificate(tmp_path: Path) -> None:
    server_context, client_context = certificate(tmp_path, "hook.test")
    transport = netguard.PinnedTransport(loopback, allow_private=True, verify=client_context)
    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        with Counting(server_context) as target:
            response = await client.post(f"https://hook.test:{target.port}/hook", content=b"{}")
            assert response.status_code == 200
    assert target.server_names == ["hook.test"]
    assert target.requests[0]["Host"] == f"hook.test:{target.port}"


async def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    server_context, client_context = certificate(tmp_path, "other.test")
    transport = netguard.PinnedTransport(loopback, allow_private=True, verify=client_context)
    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        with Counting(server_context) as target:
            with pytest.raises(httpx.ConnectError, match=r"(?i)certificate|hostname"):
                await client.post(f"https://hook.test:{target.port}/hook", content=b"{}")
            assert target.requests == []


# --- receivers that trickle or flood -------------------------------------------------------------------


class Slow(socketserver.ThreadingTCPServer):
    """A raw HTTP receiver misbehaving on purpose: ``mode`` is ``status`` (the status line trickles),
    ``body`` (a 200 whose body trickles) or ``flood`` (a 200 with an endless body, fast)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sent = 0
        self.stop = threading.Event()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(5)
                try:
                    self.request.recv(65536)
                    server.misbehave(self.request)
                except OSError:
                    pass  # the client hung up: what a well-behaved client does here

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def misbehave(self, conn: socket.socket) -> None:
        deadline = time.monotonic() + 30
        if self.mode == "status":
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                if self.stop.is_set() or time.monotonic() > deadline:
                    return
                conn.sendall(bytes([byte]))
                time.sleep(1.0)
        elif self.mode == "body":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            while not self.stop.is_set() and time.monotonic() < deadline:
                conn.sendall(b"x")
                self.sent += 1
                time.sleep(0.05)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            chunk = b"x" * 65536
            while not self.stop.is_set() and time.monotonic() < deadline:
                conn.sendall(chunk)
                self.sent += len(chunk)

    def __enter__(self) -> Slow:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.shutdown()
        self.server_close()


async def post_within(seconds: float, poster: WebhookPoster, url: str) -> float:
    started = time.monotonic()
    try:
        await asyncio.wait_for(poster.post(PartnerWebhook(url, "whsec_x"), EVENT), seconds)
    finally:
        await poster.aclose()
    return time.monotonic() - started


async def test_a_status_line_that_trickles_is_given_up_at_the_deadline() -> None:
    poster = WebhookPoster(allow_private_addresses=True, deadline=1.0)
    with Slow("status") as slow:
        started = time.monotonic()
        with pytest.raises(TransientDeliveryError, match="within 1 s"):
            await post_within(5, poster, slow.url)
        assert time.monotonic() - started < 3


async def test_a_body_that_trickles_does_not_hold_the_call() -> None:
    poster = WebhookPoster(allow_private_addresses=True, deadline=1.0)
    with Slow("body") as slow:
        took = await post_within(5, poster, slow.url)  # 200 came: delivered, the slow body is dropped
        assert took < 3


async def test_an_endless_body_is_read_only_up_to_the_cap() -> None:
    poster = WebhookPoster(allow_private_addresses=True, deadline=5.0, max_response_bytes=16 * 1024)
    with Slow("flood") as slow:
        took = await post_within(5, poster, slow.url)
        assert took < 3
        await asyncio.sleep(0.2)
        assert slow.sent < 8 * 1024 * 1024  # the receiver was stopped long before it could send much
