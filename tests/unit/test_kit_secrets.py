"""Secrets are compared in constant time whatever characters an attacker sends (issue 14, row 10).

``hmac.compare_digest`` raises TypeError on a ``str`` with non-ASCII characters; before the fix a
bearer token, opt-out token, CSRF cookie or webhook signature with such a character answered HTTP 500.
"""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from services.kit.http import internal_auth, same_secret
from services.kit.web.csrf import CsrfTokens
from services.notifications.preferences import opt_out_key, opt_out_token, verify_opt_out_token
from services.notifications.webhooks import signature, verify

ODD = ["é", "Bearer tökén", "\u202e", "😀.😀.😀", "\udcff"]


@pytest.mark.parametrize("offered", ODD)
def test_same_secret_answers_false_for_any_text(offered: str) -> None:
    assert same_secret(offered, "Bearer secret") is False
    assert same_secret("Bearer secret", "Bearer secret") is True


def test_an_internal_call_with_a_non_ascii_token_is_refused_not_a_server_error() -> None:
    app = FastAPI()

    @app.get("/internal", dependencies=[Depends(internal_auth("secret"))])
    async def internal() -> dict[str, str]:
        return {"ok": "yes"}

    client = TestClient(app)
    odd = "Bearer secrét".encode()  # arrives as latin-1 text: non-ASCII characters
    assert client.get("/internal", headers={"Authorization": odd}).status_code == 401  # type: ignore[dict-item]
    assert client.get("/internal", headers={"Authorization": "Bearer secret"}).status_code == 200


@pytest.mark.parametrize("token", ["a" * 64 + ".é", "é.é", "", "." * 3])
def test_an_odd_opt_out_token_is_simply_invalid(token: str) -> None:
    key = opt_out_key("internal")
    assert verify_opt_out_token(key, token) is None
    good = opt_out_token(key, "r-1")
    assert verify_opt_out_token(key, good) is not None


@pytest.mark.parametrize("cookie", ["1.abc.é", "1.é.ff", "é", "1." + "x" * 300])
def test_an_odd_csrf_token_is_refused(cookie: str) -> None:
    tokens = CsrfTokens(b"k" * 32, clock=lambda: 1000.0)
    assert tokens.valid(cookie) is False
    assert tokens.check(cookie, cookie) is False
    issued = tokens.issue()
    assert tokens.check(issued, issued) is True


def test_an_odd_webhook_signature_is_refused() -> None:
    body = b'{"a":1}'
    good = signature("whsec", 1000, body)
    assert verify("whsec", "1000", body, f"v1=é,{good}", now=1000) is True
    assert verify("whsec", "1000", body, "v1=ü", now=1000) is False
