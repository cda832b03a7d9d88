"""The region's look: its theme as NL Design System tokens, always readable, and served by every service."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.kit import web
from services.kit.region import region_of
from services.kit.web import theme


def test_the_demo_regions_theme_names_the_utrecht_tokens_and_keeps_its_colours() -> None:
    css = theme.theme_css(region_of())
    assert ".samenloket-theme {" in css
    assert "--utrecht-button-primary-action-background-color: #154273;" in css
    assert "--utrecht-page-header-color: #ffffff;" in css
    assert "--basis-color-action-1-inverse-bg-default: #154273;" in css


@pytest.mark.parametrize(
    ("brand", "text"),
    [
        ("#154273", "#ffffff"),
        ("#ffb612", "#ffffff"),
        ("#00a0e0", "#ffffff"),
        ("#f0f0f0", "#000000"),
        ("#777777", "#777777"),
    ],
)
def test_any_brand_colour_stays_readable(brand: str, text: str) -> None:
    c = theme.Colours.of(brand, text, "#ffb612")
    assert theme.contrast(c.brand, c.on_brand) >= theme.AA
    assert theme.contrast(c.link, theme.WHITE) >= theme.AA
    assert theme.contrast(c.link_hover, theme.WHITE) >= theme.AA


def test_contrast_is_wcags() -> None:
    assert theme.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert theme.contrast("#154273", "#ffffff") == pytest.approx(10.3, abs=0.1)


async def test_every_app_serves_its_regions_theme_and_pages_show_the_loket() -> None:
    app = FastAPI()
    web.install(app, None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        look = app.state.look
        css = await client.get(look.css_url)
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert "--utrecht-page-header-background-color" in css.text
        assert (await client.get(theme.LOGO_PATH)).status_code == 404  # the demo region has no logo
        tokens = await client.get("/static/vendor/design-tokens.css")
        assert tokens.status_code == 200 and ".voorbeeld-theme {" in tokens.text
        page = await client.get("/bestaat-niet", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert "Samenloket Drechtsteden" in page.text and "Toegankelijkheidsverklaring" in page.text
        assert look.css_url in page.text


async def test_a_logo_next_to_the_region_file_is_shown_and_served_without_scripts(tmp_path: Path) -> None:
    demo = (Path(__file__).resolve().parents[2] / "regions" / "drechtsteden.toml").read_text(encoding="utf-8")
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>')
    region_file = tmp_path / "regio.toml"
    region_file.write_text(demo.replace('accent_color = "#ffb612"', 'accent_color = "#ffb612"\nlogo = "logo.svg"'))
    app = FastAPI()
    web.install(app, None, str(region_file))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        logo = await client.get(app.state.look.logo_url)
        assert logo.status_code == 200 and logo.headers["content-type"] == "image/svg+xml"
        assert "default-src 'none'" in logo.headers["content-security-policy"]
        page = await client.get("/bestaat-niet", headers={"Accept": "text/html"})
        assert f'src="{app.state.look.logo_url}"' in page.text


async def test_a_browser_route_answers_a_bad_query_with_a_dutch_page() -> None:
    app = FastAPI()
    web.install(app, None)

    @app.get("/dashboard/export.csv")
    async def export(jaar: int) -> dict[str, int]:
        return {"jaar": jaar}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        person = await client.get("/dashboard/export.csv?jaar=x", headers={"Accept": "text/html"})
        assert person.status_code == 422 and "Dit adres klopt niet helemaal" in person.text
        program = await client.get("/dashboard/export.csv?jaar=x")
        assert program.status_code == 422 and [e["field"] for e in program.json()["errors"]] == ["jaar"]


def test_the_deployments_loket_settings_are_the_loket_of_every_pages_header_and_footer() -> None:
    """The region file's loket, with SAMENLOKET_LOKET_* over it: the same on a page's body and its footer."""
    region = region_of()
    app = FastAPI()
    web.install(app, None, "", region.loket_with("Samenloket", "078 123 45 67"))
    assert app.state.look.loket.phone == "078 123 45 67"
    assert app.state.look.loket.name == region.loket.name and app.state.look.css == theme.theme_css(region)
    plain = FastAPI()
    web.install(plain, None, "", region.loket)
    assert plain.state.look is theme.look_of("")
