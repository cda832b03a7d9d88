"""Encryption at rest: the key ring, per-resident data keys, tampering, rotation and the key file."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts.events import Contact
from services.intake.settings import IntakeSettings
from services.intake.vault import Vault
from services.kit import crypto
from services.kit.crypto import DecryptionError, KeyRing
from services.kit.settings import format_error

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(32, 64))).decode()
OLD = KeyRing.parse(f"k1:{K1}")
ROTATED = KeyRing.parse(f"k2:{K2},k1:{K1}")
WHERE = crypto.context("intake", "residents", "name", "ref-1")


def flip(token: str, position: int = -5) -> str:
    """``token`` with one character of its ciphertext changed."""
    chars = list(token)
    chars[position] = "A" if chars[position] != "A" else "B"
    return "".join(chars)


def test_a_sealed_value_carries_its_key_id_and_opens_again() -> None:
    token = OLD.seal("A. de Vries", WHERE)
    version, key_id, body = token.split(".")
    assert (version, key_id) == ("v1", "k1")
    assert "Vries" not in token and len(base64.urlsafe_b64decode(body + "==")) >= 12 + 16
    assert OLD.open(token, WHERE) == "A. de Vries"


def test_the_same_text_seals_differently_each_time() -> None:
    assert OLD.seal("x", WHERE) != OLD.seal("x", WHERE)


def test_a_changed_byte_fails() -> None:
    token = OLD.seal("A. de Vries", WHERE)
    with pytest.raises(DecryptionError):
        OLD.open(flip(token), WHERE)


def test_a_value_moved_to_another_row_or_column_fails() -> None:
    token = OLD.seal("A. de Vries", WHERE)
    with pytest.raises(DecryptionError):
        OLD.open(token, crypto.context("intake", "residents", "name", "ref-2"))
    with pytest.raises(DecryptionError):
        OLD.open(token, crypto.context("intake", "residents", "email", "ref-1"))


@pytest.mark.parametrize("token", ["plain text", "v2.k1.AAAA", "v1.k1.not*base64", "v1.k1.AAAA", "v1..AAAA"])
def test_what_is_no_sealed_value_fails(token: str) -> None:
    with pytest.raises(DecryptionError):
        OLD.open(token, WHERE)


def test_after_rotation_new_values_use_the_new_key_and_old_ones_still_open() -> None:
    old_token = OLD.seal("oud", WHERE)
    new_token = ROTATED.seal("nieuw", WHERE)
    assert ROTATED.key_id_of(new_token) == "k2"
    assert ROTATED.open(old_token, WHERE) == "oud"
    with pytest.raises(DecryptionError, match="unknown key id 'k2'"):
        OLD.open(new_token, WHERE)


def test_rewrap_moves_a_data_key_to_the_new_master_key_and_the_old_key_can_go() -> None:
    where = crypto.context("intake", "residents", "data_key", "ref-1")
    data_key, wrapped = OLD.new_data_key(where)
    sealed_name = data_key.seal("A. de Vries", WHERE)
    rewrapped = ROTATED.rewrap(wrapped, where)
    assert ROTATED.key_id_of(rewrapped) == "k2"
    only_new = KeyRing.parse(f"k2:{K2}")
    assert only_new.unwrap(rewrapped, where).open(sealed_name, WHERE) == "A. de Vries"
    with pytest.raises(DecryptionError):
        only_new.unwrap(wrapped, where)


def test_without_its_data_key_a_residents_value_cannot_be_opened() -> None:
    key_a, _ = OLD.new_data_key("a")
    key_b, _ = OLD.new_data_key("b")
    token = key_a.seal("geheim", WHERE)
    assert token.startswith("v1.dek.")
    with pytest.raises(DecryptionError):
        key_b.open(token, WHERE)
    with pytest.raises(DecryptionError):
        OLD.open(token, WHERE)  # the master key does not open it either
    assert "geheim" not in repr(key_a) and "32" not in repr(key_a)


def test_a_wrapped_data_key_is_bound_to_its_resident() -> None:
    _, wrapped = OLD.new_data_key(crypto.context("intake", "residents", "data_key", "ref-1"))
    with pytest.raises(DecryptionError):
        OLD.unwrap(wrapped, crypto.context("intake", "residents", "data_key", "ref-2"))


def test_the_vault_seals_every_contact_field() -> None:
    vault = Vault(OLD)
    key, _ = vault.new_resident_key("ref-1")
    contact = Contact(name="A. de Vries", email="a@example.nl", phone="0612345678")
    sealed = vault.seal_contact(key, "ref-1", contact)
    assert all(v.startswith("v1.dek.") for v in (sealed.name, sealed.email, sealed.phone) if v)
    opened = vault.open_contact(key, "ref-1", sealed.name, sealed.email, sealed.phone)
    assert (opened.name, opened.email, opened.phone) == ("A. de Vries", "a@example.nl", "0612345678")
    with pytest.raises(DecryptionError):  # name and e-mail swapped
        vault.open_contact(key, "ref-1", sealed.email, sealed.name, sealed.phone)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "no keys"),
        (f"{K1}", "must be <id>:<base64 key>"),
        ("k1:c2hvcnQ=", "must be 32 bytes"),
        ("k1:***", "must be base64"),
        (f"k1:{K1},k1:{K2}", "appears twice"),
        (f"dek:{K1}", "not 'dek'"),
        (f"k.1:{K1}", "must be <id>"),
    ],
)
def test_a_bad_key_ring_is_refused_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        KeyRing.parse(value)


def test_a_ring_formats_back_to_its_setting() -> None:
    assert KeyRing.parse(ROTATED.format()) == ROTATED
    assert ROTATED.ids() == ["k2", "k1"] and ROTATED.current_id == "k2"
    assert KeyRing.parse(f"k1:{base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip('=')}") == OLD


def test_bad_key_settings_name_the_variable_without_showing_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    secret_looking = "k1:" + base64.b64encode(b"x" * 31).decode()
    monkeypatch.setenv("SAMENLOKET_ENCRYPTION_KEYS", secret_looking)
    monkeypatch.setenv("SAMENLOKET_INDEX_KEY", "tooshort")
    with pytest.raises(ValidationError) as caught:
        IntakeSettings()
    line = format_error(caught.value, IntakeSettings)
    assert "SAMENLOKET_ENCRYPTION_KEYS" in line and "32 bytes" in line and "SAMENLOKET_INDEX_KEY" in line
    assert secret_looking not in line and "tooshort" not in line and "\n" not in line


def test_a_bad_key_setting_stops_the_command_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "serve", "intake"],
        env={"SAMENLOKET_ENCRYPTION_KEYS": "k1:abc", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("invalid settings: SAMENLOKET_ENCRYPTION_KEYS")


def test_good_key_settings_are_used_as_given(tmp_path: Path) -> None:
    settings = IntakeSettings(encryption_keys=ROTATED.format(), index_key=K1, data_dir=tmp_path)  # type: ignore[arg-type]
    found = crypto.secrets_of(settings.encryption_keys.get_secret_value(), K1, tmp_path)
    assert found.ring == ROTATED and found.index_key == K1
    assert not crypto.secrets_path(tmp_path).exists()


def test_the_key_file_is_made_once_private_and_reused(tmp_path: Path) -> None:
    first = crypto.load_or_create_secrets(tmp_path / "data")
    path = crypto.secrets_path(tmp_path / "data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.load_or_create_secrets(tmp_path / "data") == first
    stored = json.loads(path.read_text())
    assert KeyRing.parse(stored["encryption_keys"]) == first.ring
    assert len(crypto.decode_key(stored["index_key"])) == 32
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secrets.json"]  # no temporary files left


def test_rotating_the_key_file_keeps_the_old_key_for_opening(tmp_path: Path) -> None:
    before = crypto.load_or_create_secrets(tmp_path)
    token = before.ring.seal("oud", WHERE)
    rotated = before.ring.with_new_key("k-new")
    crypto.write_secrets(crypto.secrets_path(tmp_path), crypto.Secrets(rotated, before.index_key))
    after = crypto.load_or_create_secrets(tmp_path)
    assert after.ring.current_id == "k-new" and after.ring.ids()[1:] == before.ring.ids()
    assert after.ring.open(token, WHERE) == "oud" and after.index_key == before.index_key
    assert stat.S_IMODE(crypto.secrets_path(tmp_path).stat().st_mode) == 0o600


def test_digests_are_one_way_and_stable() -> None:
    ref = "6f1f3c5e-0000-4000-8000-000000000000"
    assert crypto.digest("resident-ref", ref) == crypto.digest("resident-ref", ref)
    assert crypto.digest("resident-ref", ref) != crypto.digest("erased-resident", ref)
    assert ref not in crypto.digest("resident-ref", ref)
