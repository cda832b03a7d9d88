"""API keys without a database: their format, scope checking, hashing and the Principal's rules."""

from __future__ import annotations

import hashlib

import pytest

from services.kit import access
from services.kit.access import KEY_PATTERN, SCOPES, Principal, bearer, check_scopes, new_key, secret_hash


def test_a_new_key_has_the_documented_format() -> None:
    key_id, full = new_key()

    match = KEY_PATTERN.match(full)
    assert match is not None, full
    assert match.group(1) == key_id and len(key_id) == 12
    assert full.startswith(f"slk_{key_id}_")
    # 32 random bytes, URL-safe base64 without padding: 43 characters.
    assert len(match.group(2)) == 43


def test_keys_are_unique() -> None:
    keys = {new_key()[1] for _ in range(200)}
    ids = {k.split("_")[1] for k in keys}
    assert len(keys) == 200 and len(ids) == 200


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "slk_",
        "slk_abc_def",
        "SLK_0123456789ab_" + "a" * 43,
        "slk_0123456789AB_" + "a" * 43,  # the id is lower-case hex-like
        "slk_0123456789ab_" + "a" * 42,
        "slk_0123456789ab_" + "a" * 44,
        "slk_0123456789ab_" + "a" * 42 + "!",
        "Bearer slk_0123456789ab_" + "a" * 43,
    ],
)
def test_malformed_keys_do_not_match(candidate: str) -> None:
    assert KEY_PATTERN.match(candidate) is None


def test_the_stored_hash_is_not_the_key() -> None:
    _, full = new_key()

    digest = secret_hash(full)

    assert digest == hashlib.sha256(full.encode()).hexdigest()
    assert len(digest) == 64 and full not in digest
    assert full.split("_", 2)[2] not in digest
    assert secret_hash(full) == digest, "the hash must be stable to be looked up"
    assert secret_hash(new_key()[1]) != digest


def test_scopes_are_checked_sorted_and_deduplicated() -> None:
    assert check_scopes(["staff", "submit", "staff"]) == ["staff", "submit"]
    assert set(check_scopes(list(SCOPES))) == set(SCOPES)


@pytest.mark.parametrize("scopes", [[], ["admin"], ["submit", "root"], ["Submit"]])
def test_unknown_or_no_scopes_are_refused_with_the_allowed_ones_named(scopes: list[str]) -> None:
    with pytest.raises(ValueError) as raised:
        check_scopes(scopes)
    message = str(raised.value)
    assert "unknown scope" in message
    assert all(s in message for s in SCOPES)


def test_principal_has_any_of_the_scopes() -> None:
    partner = Principal("k1", "huisarts", frozenset({"submit", "read-own"}))

    assert partner.has("submit")
    assert partner.has("staff", "read-own")
    assert not partner.has("staff")
    assert not partner.has()


def test_principal_without_municipality_sees_every_municipality() -> None:
    regional = Principal("k1", "mee", frozenset({"staff"}))
    assert regional.may_see_municipality("GM0505")
    assert regional.may_see_municipality("GM0642")


def test_principal_with_municipality_sees_only_that_one() -> None:
    local = Principal("k1", "loket-dordrecht", frozenset({"staff"}), municipality="GM0505")
    assert local.may_see_municipality("GM0505")
    assert not local.may_see_municipality("GM0642")
    assert not local.may_see_municipality(None)


def test_principal_is_immutable() -> None:
    principal = Principal("k1", "huisarts", frozenset({"submit"}))
    with pytest.raises(AttributeError):
        principal.organisation = "someone-else"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("authorization", "x_api_key", "expected"),
    [
        ("Bearer slk_x", None, "slk_x"),
        ("bearer  slk_x ", None, "slk_x"),
        (None, " slk_y ", "slk_y"),
        ("Bearer slk_x", "slk_y", "slk_y"),
        ("Basic dXNlcg==", None, None),
        (None, None, None),
    ],
)
def test_the_key_is_read_from_authorization_or_x_api_key(
    authorization: str | None, x_api_key: str | None, expected: str | None
) -> None:
    assert bearer(authorization, x_api_key) == expected


def test_require_refuses_unknown_scopes_when_wired() -> None:
    with pytest.raises(AssertionError):
        access.require("superuser")
