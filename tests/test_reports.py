"""Site reports and the shortlist map (issue 12) on the demo data: the report renders to PDF
and its pages are checked (the text is there, the location map is drawn: pixels in the map's
area are not blank), the HTML report obeys the app's CSP (no inline style or script), and the
folium map of a shortlist opens in Chromium with every request that is not a file blocked
and shows a marker per site, with its popup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from test_browser import base_url, browser

from sitefinder.api import create_app
from sitefinder.core.settings import Settings

__all__ = ["base_url", "browser"]  # the fixtures of test_browser

PLOT = "plots:84920231870000"  # Otterlo B 2318, Ede: a polygon with buildings around it
OFFICE = "offices:0363010000977860"  # De Ruijterkade 107, Amsterdam
PARK = "holidayparks:osm:way/75470800"
MAP_BOX_MM = (14 + 1, 28 + 8, 14 + 95 - 1, 28 + 95)  # left, top, right, bottom on the A4 page


@pytest.fixture(scope="module")
def app(demo_settings: Settings) -> FastAPI:
    return create_app(demo_settings)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _pdf(client: TestClient, url: str, output_dir: Path, name: str) -> pdfium.PdfDocument:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    path = output_dir / name
    path.write_bytes(response.content)
    return pdfium.PdfDocument(path)


def _text(pdf: pdfium.PdfDocument, i: int) -> str:
    return str(pdf[i].get_textpage().get_text_range())


def _map_pixels(pdf: pdfium.PdfDocument, i: int, output_dir: Path, name: str) -> Any:
    """Page ``i`` at 100 dpi and the crop of the location map's frame, as a PIL image."""
    scale = 100 / 72
    image = pdf[i].render(scale=scale).to_pil().convert("RGB")
    image.save(output_dir / name)
    dpmm = 100 / 25.4
    box = tuple(round(v * dpmm) for v in MAP_BOX_MM)
    return image.crop(box)


def _drawn_colours(crop: Any) -> dict[tuple[int, int, int], int]:
    colours = crop.getcolors(maxcolors=1_000_000) or []
    return {c: n for n, c in colours}


def test_site_report_pdf_has_its_sections_and_a_drawn_map(
    client: TestClient, output_dir: Path
) -> None:
    pdf = _pdf(client, f"/api/sites/{PLOT}/report?format=pdf", output_dir, "report-plot.pdf")
    assert 1 <= len(pdf) <= 3
    text = "\n".join(_text(pdf, i) for i in range(len(pdf)))
    for words in (
        "Locatierapport",
        "Otterlo B 2318",
        "Gemeente Ede",
        "Ligging",
        "Opbouw van de score",
        "Bandbreedte",
        "Dichtstbijzijnde voorzieningen",
        "Bestemmingsplan",
        "Beperkingen",
        "Bronnen en peildata",
        "Voorbehoud",
        "Supermarkt",
        "CBS / Kadaster",  # a source with its publisher
        "2023-01-01",  # the gemeenten's data date (etl_run)
    ):
        assert words.lower() in text.lower(), words  # the brand line is in capitals
    crop = _map_pixels(pdf, 0, output_dir, "report-plot-page1.png")
    colours = _drawn_colours(crop)
    total = crop.width * crop.height
    background = colours.get((247, 247, 242), 0) + colours.get((255, 255, 255), 0)
    assert background < 0.97 * total, "the map area is blank"
    # the site itself: its red outline (#d7191c) is drawn in the map's frame
    reds = sum(n for (r, g, b), n in colours.items() if r > 180 and g < 80 and b < 80)
    assert reds > 50, "the site is not drawn on the map"
    # buildings around it (BGT, grey #7f7f7f fill at 30 % over the background)
    greys = sum(
        n for (r, g, b), n in colours.items() if 100 < r < 220 and abs(r - g) < 8 and abs(g - b) < 8
    )
    assert greys > 200, "no buildings drawn around the site"


def test_report_in_english_and_for_a_shortlist(client: TestClient, output_dir: Path) -> None:
    ids = f"{OFFICE},{PLOT},{PARK}"
    pdf = _pdf(
        client,
        f"/api/shortlist/report?ids={ids}&format=pdf&lang=en",
        output_dir,
        "report-shortlist.pdf",
    )
    first = _text(pdf, 0)
    assert "Shortlist (3)" in first
    for name in ("De Ruijterkade 107", "Otterlo B 2318"):
        assert name in first
    text = "\n".join(_text(pdf, i) for i in range(len(pdf)))
    assert text.lower().count("site report") >= 3 and "Disclaimer" in text
    assert "Score breakdown" in text and "Nearest facilities" in text
    # each site starts on a page of its own, with its map drawn
    starts = [i for i in range(len(pdf)) if "site report" in _text(pdf, i).lower()]
    assert len(starts) == 3
    for i in starts:
        crop = _map_pixels(pdf, i, output_dir, f"report-shortlist-page{i + 1}.png")
        colours = _drawn_colours(crop)
        assert colours.get((247, 247, 242), 0) < 0.99 * crop.width * crop.height


def test_html_report_fits_the_csp_and_escapes(client: TestClient) -> None:
    response = client.get(f"/api/sites/{OFFICE}/report")
    assert response.status_code == 200
    html = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert '<link rel="stylesheet" href="/api/reports/report.css">' in html
    assert client.get("/api/reports/report.css").status_code == 200
    assert "<svg" in html and 'class="location-map"' in html and 'data-site="own"' in html
    assert "De Ruijterkade 107" in html and "Opbouw van de score" in html


def test_report_errors_are_clear(client: TestClient) -> None:
    missing = client.get("/api/sites/offices:0000/report")
    assert missing.status_code == 404 and "offices:0000" in missing.json()["detail"]
    assert client.get("/api/sites/{OFFICE}/report?format=docx").status_code == 422
    too_many = ",".join(f"offices:{i}" for i in range(26))
    answer = client.get(f"/api/shortlist/report?ids={too_many}")
    assert answer.status_code == 422
    eleven = ",".join([OFFICE] * 1 + [f"offices:{i}" for i in range(10)])
    answer = client.get(f"/api/shortlist/report?ids={eleven}&format=pdf")
    assert answer.status_code == 422 and "at most 10" in answer.json()["detail"]
    assert client.get("/api/shortlist/map?ids=").status_code == 422


def test_shortlist_map_is_one_file_that_works_offline(
    client: TestClient, browser: object, output_dir: Path
) -> None:
    from playwright.sync_api import Browser, expect

    ids = [OFFICE, PLOT, PARK]
    response = client.get("/api/shortlist/map", params={"ids": ",".join(ids)})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    html = response.text
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn"):
        assert cdn not in html
    path = output_dir / "shortlist-map.html"
    path.write_text(html, encoding="utf-8")

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    markers = page.locator("path.sf-site")
    expect(markers).to_have_count(3, timeout=10000)
    assert page.evaluate("typeof L") == "object"  # Leaflet came from the file itself
    markers.first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_be_visible(timeout=5000)
    assert "Score" in popup.inner_text()
    page.screenshot(path=str(output_dir / "shortlist-map.png"))
    assert not errors, errors
    assert all("{z}" not in u for u in blocked)  # only basemap tiles were asked for
    assert all(not u.endswith(".js") and not u.endswith(".css") for u in blocked), blocked
    context.close()


def test_report_links_in_the_detail_panel(browser: object, base_url: str) -> None:
    from playwright.sync_api import expect
    from test_browser import _open_page, _wait_for_list

    page, errors = _open_page(browser, base_url)
    _wait_for_list(page)
    page.locator("#site-list .site-row").first.click()
    links = page.locator("#detail-reports")
    expect(links.locator("#report-pdf")).to_be_visible(timeout=15000)
    selected = page.evaluate("() => document.querySelector('#site-list .site-row')?.dataset.id")
    html_href = links.locator("#report-html").get_attribute("href") or ""
    assert "/report?" in html_href and "lang=nl" in html_href
    assert "format=pdf" in (links.locator("#report-pdf").get_attribute("href") or "")
    shortlist = links.locator("#shortlist-map").get_attribute("href") or ""
    assert shortlist.startswith("/api/shortlist/map?") and "ids=" in shortlist
    status = page.evaluate("async (u) => (await fetch(u)).status", html_href)
    assert status == 200, (selected, html_href)
    status = page.evaluate("async (u) => (await fetch(u)).status", shortlist)
    assert status == 200
    assert not errors, errors
