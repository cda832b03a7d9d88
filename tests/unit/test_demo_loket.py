"""The loket residents and supporters can reach comes from the region file: clearly demo values in the
shipped regions, and a deployment's own settings (``SAMENLOKET_LOKET_*``) win over the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kit.region import load_region, region_of

REGIONS = Path(__file__).parents[2] / "regions"


@pytest.mark.parametrize("name", ["drechtsteden.toml", "ijmond.toml"])
def test_a_shipped_region_names_a_loket_with_a_phone_and_an_address_that_are_clearly_not_real(name: str) -> None:
    loket = load_region(REGIONS / name).loket
    assert loket.name.startswith("Samenloket ")
    area_code, number = loket.phone.split(" ", 1)
    assert area_code.startswith("0") and set(number.replace(" ", "")) == {"0"}  # all zeros after the area code
    assert loket.email.endswith(".example")  # a reserved domain: no real mailbox
    assert loket.address and loket.opening_hours


def test_a_loket_set_in_the_settings_wins_over_the_region_file() -> None:
    region = region_of()
    assert region.loket_with("Samenloket", "078 123 45 67", "").phone == "078 123 45 67"
    assert region.loket_with("Samenloket", "078 123 45 67", "").name == "Samenloket Drechtsteden"
    assert region.loket_with("Loket Zuid", "", "").name == "Loket Zuid"
    assert region.loket_with().email == "loket@samenloket-drechtsteden.example"
