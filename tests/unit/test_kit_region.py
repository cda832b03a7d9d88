"""The region file: the shipped demo region validates, and a bad file says where and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kit.region import RegionFileError, load_region, region_of


def test_the_shipped_demo_region_is_drechtsteden_with_its_seven_municipalities() -> None:
    region = region_of("")
    assert region.name == "Drechtsteden"
    assert region.municipality_names["GM0505"] == "Dordrecht" and len(region.municipality_names) == 7
    assert region.serves("GM0505") and not region.serves("GM0363")
    assert region.organisation_names["mee-plus"] == "MEE Plus"
    assert region.loket.name == "Samenloket Drechtsteden"
    assert len(region.postcodes) > 50


def test_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "regio.toml"
    bad.write_text('name = "X"\n[loket\nname = "Y"\n', encoding="utf-8")
    with pytest.raises(RegionFileError, match=r"regio\.toml.*line 2"):
        load_region(bad)


def test_a_bad_value_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "regio.toml"
    bad.write_text(
        'name = "X"\n[loket]\nname = "L"\n[[municipalities]]\ncode = "0505"\nname = "Dordrecht"\n'
        '[theme]\nbrand_color = "blue"\n',
        encoding="utf-8",
    )
    with pytest.raises(RegionFileError) as caught:
        load_region(bad)
    assert "municipalities.0.code" in str(caught.value) and "theme.brand_color" in str(caught.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RegionFileError, match="cannot be read"):
        load_region(tmp_path / "nergens.toml")
