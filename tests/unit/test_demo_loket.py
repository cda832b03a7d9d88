"""`samenloket up --demo` gives the services a loket residents and supporters can reach: clearly demo values."""

from __future__ import annotations

from services.kit.settings import Settings
from services.local.demo.region import with_demo_loket


def test_the_demo_names_a_loket_with_a_phone_and_an_address_that_are_clearly_not_real() -> None:
    env = with_demo_loket({"SAMENLOKET_DATABASE_URL": "postgresql://x"})
    settings = Settings(**{k.removeprefix("SAMENLOKET_").lower(): v for k, v in env.items()})
    assert settings.loket_name == "Samenloket Drechtsteden"
    assert settings.loket_phone.replace(" ", "").strip("0") == "78"  # all zeros after the area code
    assert settings.loket_email.endswith(".example")  # a reserved domain: no real mailbox


def test_a_loket_set_in_the_environment_wins_over_the_demo() -> None:
    env = with_demo_loket({"SAMENLOKET_LOKET_PHONE": "078 123 45 67"})
    assert env["SAMENLOKET_LOKET_PHONE"] == "078 123 45 67"
    assert env["SAMENLOKET_LOKET_NAME"] == "Samenloket Drechtsteden"
