"""Browser test: the real page in headless Chromium against the real API on the demo data."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from sitefinder.api import create_app
from sitefinder.settings import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(demo_settings: Settings) -> Iterator[str]:
    port = _free_port()
    # The basemap points at an address nobody listens on: the page must cope without it.
    settings = demo_settings.model_copy(
        update={"basemap_url": f"http://127.0.0.1:{_free_port()}/{{z}}/{{x}}/{{y}}.png"}
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make setup` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_map_shows_ranked_sites_and_breakdown(
    browser: object, base_url: str, output_dir: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text)
        if msg.type == "error" and "127.0.0.1" not in msg.text and "Failed to load" not in msg.text
        else None,
    )
    page.goto(base_url + "/")

    # sites drawn on the map and the ranked list filled
    expect(page.locator(".site-marker").first).to_be_attached(timeout=15000)
    rows = page.locator("#site-list .site-row")
    expect(rows.first).to_be_visible(timeout=15000)
    assert page.locator(".site-marker").count() > 0
    assert rows.count() > 0

    # municipality filter: Amsterdam, and the list follows
    page.select_option("#filter-gemeente", "GM0363")
    expect(rows.first).to_be_visible(timeout=15000)
    page.wait_for_timeout(800)
    first_text = rows.first.inner_text()
    assert first_text.strip()

    # click a site in the list: its breakdown appears
    rows.first.click()
    detail = page.locator("#detail")
    expect(detail).to_be_visible(timeout=10000)
    breakdown = detail.locator(".breakdown-row")
    expect(breakdown.first).to_be_visible(timeout=10000)
    assert breakdown.count() == 8  # one row per criterion
    assert "geen gegevens" in detail.inner_text().lower()  # zoning has no data in Amsterdam

    page.screenshot(path=str(output_dir / "map-breakdown.png"), full_page=True)

    # English is available
    page.click("#lang-toggle")
    page.wait_for_timeout(300)
    assert "no data" in page.locator("body").inner_text().lower()
    page.screenshot(path=str(output_dir / "map-english.png"), full_page=True)
    assert not errors, errors
    page.close()
