"""Browser test of the province officer's journey in Chromium, on a copy of the demo data:
log in, flag three Ede holiday parks (one confidential) with notes, filter and colour the map
by status, read a park's audit trail, export the flagged list; then a public visitor sees none
of the confidential one (list, filter, detail, province counts, export)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from accounts_helpers import Account, make_accounts
from test_browser import _open_page, browser, serving

from sitefinder.core.settings import Settings

__all__ = ["browser"]  # the module's Chromium fixture, shared with test_browser
SECRET_NOTE = "Vertrouwelijk: eigenaar wil verkopen"
KANSRIJK_COLOUR = "#2563eb"


@pytest.fixture(scope="module")
def officer(demo_copy: Settings) -> Account:
    return make_accounts(demo_copy, prefix="browser-")["provincie"]


@pytest.fixture(scope="module")
def flag_url(demo_copy: Settings) -> Iterator[str]:
    with serving(demo_copy) as url:
        yield url


def _ede_parks(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#site-list .site-row").first).to_be_visible(timeout=20000)
    page.select_option("#filter-kind", "vakantiepark")
    page.select_option("#filter-gemeente", "GM0228")
    expect(page.locator("#filter-gemeente")).to_have_value("GM0228")
    page.wait_for_timeout(800)
    expect(page.locator("#site-list .site-row").first).to_be_visible(timeout=15000)


def _row_ids(page: Any) -> list[str]:
    return [row.get_attribute("data-id") for row in page.locator("#site-list .site-row").all()]


def _open_site(page: Any, site_id: str) -> None:
    from playwright.sync_api import expect

    page.locator(f'#site-list .site-row[data-id="{site_id}"]').click()
    expect(page.locator("#flag-panel .flag-current")).to_be_visible(timeout=10000)


def _download(page: Any, selector: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.click(selector)
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_province_officer_journey_and_the_public_view(
    browser: object, flag_url: str, officer: Account, output_dir: Path
) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, flag_url)
    _ede_parks(page)

    # log in (Dutch first): the header names the user and the role
    page.click("#login-open")
    expect(page.locator("#login-dialog")).to_be_visible()
    page.fill("#login-email", officer.email)
    page.fill("#login-password", officer.password)
    page.keyboard.press("Enter")
    expect(page.locator("#account-user")).to_contain_text("Provincie PV25", timeout=10000)
    expect(page.locator("#login-dialog")).to_be_hidden()
    assert officer.password not in page.content()

    # flag three parks, the first one confidential, each with a note
    parks = _row_ids(page)[:3]
    assert len(parks) == 3
    for i, park in enumerate(parks):
        _open_site(page, park)
        expect(page.locator("#flag-status")).to_be_visible()
        page.select_option("#flag-status", "kansrijk")
        page.fill("#flag-note", SECRET_NOTE if i == 0 else f"Kansrijk park {i}")
        page.fill("#flag-tags", "vitale vakantieparken")
        if i == 0:
            page.check("#flag-confidential")
        page.click("#flag-save")
        expect(page.locator("#flag-message")).to_have_text("Opgeslagen.", timeout=10000)
        expect(page.locator("#flag-panel .flag-current")).to_contain_text("Kansrijk")
    expect(page.locator("#flag-panel .confidential-badge")).to_have_count(0)  # the last is public
    # park facts sit beside the score, unknowns said so
    facts = page.locator("#flag-panel .park-facts")
    expect(facts).to_contain_text("Natura 2000")
    expect(facts.locator('[data-fact="village-core"]')).to_contain_text("onbekend")

    # filter the map by status: exactly the three parks; colour by status
    page.select_option("#filter-status", "kansrijk")
    expect(page.locator("#site-list .site-row")).to_have_count(3, timeout=15000)
    assert set(_row_ids(page)) == set(parks)
    page.check("#status-colours")
    marker = page.locator(f'.site-marker[data-site-id="{parks[0]}"]')
    expect(marker).to_have_attribute("fill", KANSRIJK_COLOUR, timeout=5000)
    expect(page.locator("#status-legend")).to_be_visible()

    # read a park's audit trail
    _open_site(page, parks[0])
    page.click("#flag-audit summary")
    entries = page.locator("#audit-list .audit-entry")
    expect(entries).to_have_count(1, timeout=10000)
    expect(entries.first).to_contain_text(SECRET_NOTE)
    expect(entries.first).to_contain_text(officer.email)
    expect(entries.first).to_contain_text("Kansrijk")
    audit_rows = _download(page, "#audit-export")
    assert [r["note"] for r in audit_rows] == [SECRET_NOTE]

    # the province view: counts per status, and the export of the flagged list
    page.click("#province-panel summary")
    expect(page.locator("#province-select")).to_have_value("PV25", timeout=10000)
    count = page.locator('.province-count[data-status="kansrijk"] .province-count-n')
    expect(count).to_have_text("3", timeout=10000)
    exported = _download(page, "#province-export")
    assert {r["site_id"] for r in exported} == set(parks)
    assert {r["confidential"] for r in exported if r["site_id"] == parks[0]} == {"ja"}
    assert SECRET_NOTE in {r["note"] for r in exported}
    page.screenshot(path=str(output_dir / "flags-officer.png"), full_page=True)
    assert not errors, errors
    page.close()

    # a public visitor: the confidential park is not assessed, everywhere
    public, public_errors = _open_page(browser, flag_url)
    _ede_parks(public)
    expect(public.locator("#login-open")).to_be_visible()
    public.select_option("#filter-status", "kansrijk")
    expect(public.locator("#site-list .site-row")).to_have_count(2, timeout=15000)
    assert set(_row_ids(public)) == set(parks[1:])
    public.select_option("#filter-status", "niet_beoordeeld")
    expect(public.locator(f'#site-list .site-row[data-id="{parks[0]}"]')).to_have_count(
        1, timeout=15000
    )
    _open_site(public, parks[0])
    expect(public.locator("#flag-panel .flag-current")).to_contain_text("Niet beoordeeld")
    expect(public.locator("#flag-status")).to_have_count(0)  # no form for the public
    expect(public.locator("#flag-audit")).to_have_count(0)  # no audit trail either
    public.click("#province-panel summary")
    expect(public.locator("#province-select option")).to_have_count(12, timeout=10000)
    public.select_option("#province-select", "PV25")
    count = public.locator('.province-count[data-status="kansrijk"] .province-count-n')
    expect(count).to_have_text("2", timeout=10000)
    exported = _download(public, "#province-export")
    assert {r["site_id"] for r in exported} == set(parks[1:])
    assert SECRET_NOTE not in public.content()
    public.screenshot(path=str(output_dir / "flags-public.png"), full_page=True)
    assert not public_errors, public_errors
    public.close()
