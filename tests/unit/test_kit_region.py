"""The region file: the shipped demo region validates, and a bad file says where and why."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.kit.region import RegionFileError, current_region, load_region, region_of, use_region


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


def test_ijmond_is_a_region_of_its_own_with_its_loket_organisations_referrers_and_theme() -> None:
    region = load_region(Path(__file__).parents[2] / "regions" / "ijmond.toml")
    assert region.municipality_names == {"GM0375": "Beverwijk", "GM0396": "Heemskerk", "GM0453": "Velsen"}
    assert not region.serves("GM0505") and region.serves("GM0453")
    assert region.organisation_name("mee-de-wering") == "MEE & de Wering"
    assert region.organisation_name("huisarts-ijmuiden") == "Huisartsenpraktijk IJmuiden"
    assert region.organisation("wijkteam-beverwijk") is not None
    assert not region.organisation("wijkteam-beverwijk").independent  # type: ignore[union-attr]
    assert (region.theme.brand_color, region.theme.accent_color) == ("#0b5563", "#f39200")
    assert region.loket.name == "Samenloket IJmond" and region.demo is not None and region.demo.desk == "GM0453"


def test_an_id_the_region_file_does_not_list_is_shown_as_words_never_bare() -> None:
    region = region_of("")
    assert region.organisation_name("huisarts-haarlem") == "Huisarts Haarlem"
    assert region.organisation_name(None, "onbekend") == "onbekend"
    assert region.municipality_name("GM0363") == "GM0363" and region.municipality_name(None) == "onbekend"


def test_a_demo_naming_what_the_region_does_not_have_is_refused(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[2] / "regions" / "ijmond.toml").read_text(encoding="utf-8")
    bad = tmp_path / "regio.toml"
    bad.write_text(shipped.replace('id = "welzijn-velsen"\nsupporters', 'id = "nergens"\nsupporters'))
    with pytest.raises(RegionFileError, match=r"regio\.toml: demo names organisations not listed.*nergens"):
        load_region(bad)
    bad.write_text(shipped.replace('desk = "GM0453"', 'desk = "GM0505"'))
    with pytest.raises(RegionFileError, match=r"does not serve: \['GM0505'\]"):
        load_region(bad)


async def test_the_region_at_work_is_the_apps_and_else_the_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    ijmond = Path(__file__).parents[2] / "regions" / "ijmond.toml"
    monkeypatch.setenv("SAMENLOKET_REGION_FILE", str(ijmond))
    assert current_region().name == "IJmond"

    async def in_an_app() -> str:
        use_region(region_of(""))
        return current_region().name

    assert await asyncio.create_task(in_an_app()) == "Drechtsteden"
    assert current_region().name == "IJmond"  # a task's region stays in its own context


def test_a_service_with_a_bad_region_file_stops_at_start_with_one_line_naming_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "regio.toml"
    bad.write_text('name = "X"\n[loket]\nname = "L"\n[[municipalities]]\ncode = "GM05"\nname = "Y"\n')
    env = {**os.environ, "SAMENLOKET_REGION_FILE": str(bad)}
    ran = subprocess.run(
        [sys.executable, "-m", "services.cli", "serve", "intake"], env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == (
        f"samenloket intake: {bad}: municipalities.0.code: String should match pattern '^GM[0-9]{{4}}$'"
    )
