"""Encryption at rest: AES-256-GCM with a key ring, per-resident data keys, and the keys' home.

**Ciphertext format.** A sealed value is text: ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``
with a fresh 96-bit nonce. The key id says which key sealed it, so old values stay readable after a
new key is put first in the ring. Every value is sealed with *associated data* naming where it
lives (:func:`context`, e.g. ``intake/residents/name/<ref>``): a value copied to another row or
column fails to open, as does any changed byte.

**Keys.** ``SAMENLOKET_ENCRYPTION_KEYS`` is a key ring, ``id1:base64key,id2:base64key`` with
32-byte keys: the first one seals, all of them open. Intake seals each resident's personal fields
with a random *data key* of that resident (key id ``dek``), and keeps that data key only *wrapped*
(sealed by the key ring) in the resident's row; erasing a resident deletes the wrapped data key
(crypto-shredding) together with the data. Texts not tied to a resident (signals) are sealed with
the key ring directly. ``SAMENLOKET_INDEX_KEY`` (base64, 32 bytes) keys the HMAC blind indexes that
let intake recognise a returning resident; it is separate from the ring so that rotating the
encryption keys never changes who is recognised.

**Where keys come from.** From the settings; when a setting is empty, from ``<data dir>/secrets.json``
(mode 0600), created with fresh keys the first time. ``samenloket up`` uses that file and hands the
keys to the services as environment variables, so a restart can still open what it sealed before.
Production sets both settings from a secret store instead.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

VERSION: Final = "v1"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
#: Key id of values sealed with a resident's own data key.
DATA_KEY_ID: Final = "dek"
SECRETS_FILE: Final = "secrets.json"
KEY_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_AAD_PREFIX: Final = b"samenloket/" + VERSION.encode() + b"|"


class DecryptionError(Exception):
    """A sealed value could not be opened: tampered with, moved, malformed, or its key is gone."""


def context(*parts: object) -> str:
    """Associated data binding a value to its place, e.g. ``context("intake", "residents", "name", ref)``."""
    return "/".join(str(p) for p in parts)


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_key(text: str) -> bytes:
    """A 32-byte key from base64 (standard or URL-safe alphabet); ValueError otherwise."""
    standard = text.strip().replace("-", "+").replace("_", "/").rstrip("=")
    try:
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a key must be base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"a key must be {KEY_BYTES} bytes (base64 of 32 random bytes), got {len(raw)} bytes")
    return raw


def generate_key() -> str:
    """A new random 32-byte key, base64 (what the settings take)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def new_key_id() -> str:
    """A key id that sorts by creation time and does not repeat: ``k20250101-1a2b``."""
    return f"k{time.strftime('%Y%m%d', time.gmtime())}-{secrets.token_hex(2)}"


def _seal(key: bytes, key_id: str, plaintext: bytes, where: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, _AAD_PREFIX + where.encode())
    return f"{VERSION}.{key_id}.{_b64encode(nonce + sealed)}"


def parse_token(token: str) -> tuple[str, bytes]:
    """``(key id, nonce ‖ ciphertext)`` of a sealed value; DecryptionError when it is not one."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION or not KEY_ID.match(parts[1]):
        raise DecryptionError("not a sealed value")
    try:
        body = _b64decode(parts[2])
    except (binascii.Error, ValueError):
        raise DecryptionError("malformed sealed value") from None
    if len(body) < NONCE_BYTES + 16:
        raise DecryptionError("malformed sealed value")
    return parts[1], body


def _open(key: bytes, body: bytes, where: str) -> bytes:
    try:
        return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _AAD_PREFIX + where.encode())
    except InvalidTag:
        raise DecryptionError(f"sealed value does not open at {where!r} (changed, moved or wrong key)") from None


@dataclass(frozen=True)
class KeyRing:
    """The master keys: the first seals, every one opens (so a rotation keeps old values readable)."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """``id1:base64key,id2:base64key``; ValueError with a reason (never the key) when malformed."""
        entries = [e.strip() for e in text.split(",") if e.strip()]
        if not entries:
            raise ValueError("no keys; expected id1:base64key[,id2:base64key…]")
        keys: list[tuple[str, bytes]] = []
        for position, entry in enumerate(entries, start=1):
            key_id, sep, material = entry.partition(":")
            if not sep or not KEY_ID.match(key_id) or key_id == DATA_KEY_ID:
                raise ValueError(
                    f"entry {position} must be <id>:<base64 key>, id of letters, digits, '-' or '_' (not 'dek')"
                )
            if any(key_id == known for known, _ in keys):
                raise ValueError(f"key id {key_id!r} appears twice")
            try:
                keys.append((key_id, decode_key(material)))
            except ValueError as exc:
                raise ValueError(f"key {key_id!r}: {exc}") from None
        return cls(tuple(keys))

    def format(self) -> str:
        return ",".join(f"{key_id}:{base64.b64encode(key).decode('ascii')}" for key_id, key in self.keys)

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def ids(self) -> list[str]:
        return [key_id for key_id, _ in self.keys]

    def with_new_key(self, key_id: str | None = None) -> KeyRing:
        """A ring with a fresh key first and every present key kept for opening."""
        return KeyRing(((key_id or new_key_id(), decode_key(generate_key())), *self.keys))

    def seal(self, plaintext: str, where: str) -> str:
        return self.seal_bytes(plaintext.encode(), where)

    def seal_bytes(self, plaintext: bytes, where: str) -> str:
        key_id, key = self.keys[0]
        return _seal(key, key_id, plaintext, where)

    def open(self, token: str, where: str) -> str:
        return self.open_bytes(token, where).decode()

    def open_bytes(self, token: str, where: str) -> bytes:
        key_id, body = parse_token(token)
        key = dict(self.keys).get(key_id)
        if key is None:
            raise DecryptionError(f"unknown key id {key_id!r}: not in SAMENLOKET_ENCRYPTION_KEYS")
        return _open(key, body, where)

    def key_id_of(self, token: str) -> str:
        return parse_token(token)[0]

    # --- per-resident data keys ---------------------------------------------------------------

    def new_data_key(self, where: str) -> tuple[DataKey, str]:
        """A fresh data key and its wrapped form (sealed by the current master key at ``where``)."""
        raw = secrets.token_bytes(KEY_BYTES)
        return DataKey(raw), self.seal_bytes(raw, where)

    def unwrap(self, wrapped: str, where: str) -> DataKey:
        raw = self.open_bytes(wrapped, where)
        if len(raw) != KEY_BYTES:
            raise DecryptionError("wrapped data key has the wrong length")
        return DataKey(raw)

    def rewrap(self, wrapped: str, where: str) -> str:
        """The same data key wrapped by the current master key (after a rotation)."""
        return self.seal_bytes(self.open_bytes(wrapped, where), where)


@dataclass(frozen=True)
class DataKey:
    """One resident's own key. Destroying its wrapped copy makes everything it sealed unreadable."""

    key: bytes

    def __repr__(self) -> str:
        return "DataKey(***)"

    def seal(self, plaintext: str, where: str) -> str:
        return _seal(self.key, DATA_KEY_ID, plaintext.encode(), where)

    def seal_optional(self, plaintext: str | None, where: str) -> str | None:
        return None if plaintext is None else self.seal(plaintext, where)

    def seal_bytes(self, plaintext: bytes, where: str) -> str:
        return _seal(self.key, DATA_KEY_ID, plaintext, where)

    def open_bytes(self, token: str, where: str) -> bytes:
        key_id, body = parse_token(token)
        if key_id != DATA_KEY_ID:
            raise DecryptionError(f"expected a value sealed with a data key, got key id {key_id!r}")
        return _open(self.key, body, where)

    def open(self, token: str, where: str) -> str:
        key_id, body = parse_token(token)
        if key_id != DATA_KEY_ID:
            raise DecryptionError(f"expected a value sealed with a data key, got key id {key_id!r}")
        return _open(self.key, body, where).decode()

    def open_optional(self, token: str | None, where: str) -> str | None:
        return None if token is None else self.open(token, where)


def digest(kind: str, value: str) -> str:
    """A one-way, domain-separated SHA-256 of a pseudonymous id (e.g. a resident_ref) for logs.

    A ``resident_ref`` is a random UUID (122 bits), so its digest cannot be turned back by guessing;
    it can only be matched by someone who already holds the ref. Services use it to remember that a
    ref was erased, and intake's audit log uses it, without keeping the ref itself.
    """
    return hashlib.sha256(f"samenloket/{kind}/v1:{value}".encode()).hexdigest()


# --- the keys' home ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """The keys a service needs: the master key ring and the blind-index key."""

    ring: KeyRing
    index_key: str

    def to_json(self) -> str:
        return json.dumps({"encryption_keys": self.ring.format(), "index_key": self.index_key}, indent=2)


def secrets_path(data_dir: Path) -> Path:
    return data_dir / SECRETS_FILE


def load_or_create_secrets(data_dir: Path) -> Secrets:
    """The keys kept in ``<data_dir>/secrets.json``; created (mode 0600) with fresh keys when missing.

    Creation is atomic (write a private temporary file, then hard-link it into place), so processes
    starting together end up with one set of keys.
    """
    path = secrets_path(data_dir)
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fresh = Secrets(KeyRing(((new_key_id(), decode_key(generate_key())),)), generate_key())
        write_secrets(path, fresh, replace=False)
    return read_secrets(path)


def read_secrets(path: Path) -> Secrets:
    try:
        data = json.loads(path.read_text())
        ring = KeyRing.parse(data["encryption_keys"])
        decode_key(data["index_key"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"invalid key file {path}: {type(exc).__name__}: {exc}") from None
    return Secrets(ring, data["index_key"])


def write_secrets(path: Path, value: Secrets, replace: bool = True) -> None:
    """Write the key file with mode 0600; ``replace=False`` keeps a file that appeared meanwhile."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value.to_json())
        if replace:
            os.replace(temporary, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def secrets_of(encryption_keys: str, index_key: str, data_dir: Path, warn: bool = True) -> Secrets:
    """The keys from the settings; a setting left empty is taken from (or created in) the key file."""
    if encryption_keys and index_key:
        return Secrets(KeyRing.parse(encryption_keys), index_key)
    stored = load_or_create_secrets(data_dir)
    if warn:
        log.warning(
            "encryption or index key not set: using %s (set SAMENLOKET_ENCRYPTION_KEYS and SAMENLOKET_INDEX_KEY"
            " in production, the same for every instance)",
            secrets_path(data_dir),
        )
    return Secrets(KeyRing.parse(encryption_keys) if encryption_keys else stored.ring, index_key or stored.index_key)
