"""Browser test: the fair-share view on the demo, with a need typed in (issue 12): the table,
the choropleth of the region's gemeenten on the map, the bar chart and the CSV link."""

from __future__ import annotations

from pathlib import Path

from test_browser import _open_page, base_url, browser

__all__ = ["base_url", "browser"]  # the fixtures of test_browser


def test_fair_share_view_with_a_typed_need(
    browser: object, base_url: str, output_dir: Path
) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    panel = page.locator("#fairshare-panel")
    panel.locator("summary").click()
    region = page.locator("#fairshare-region")
    expect(region.locator("option[value='GM0228']")).to_be_attached(timeout=15000)
    region.select_option("GM0228")
    summary = page.locator("#fairshare-summary")
    expect(summary).to_contain_text("Geen behoefte vastgelegd", timeout=15000)
    rows = page.locator("#fairshare-table tbody tr")
    expect(rows).to_have_count(6, timeout=15000)
    # without a need: the shares (Ede 46,7 %)
    expect(page.locator("#fairshare-table tr[data-code='GM0228'] .fairshare-share")).to_have_text(
        "46,7%"
    )

    page.fill("#fairshare-need", "100")
    expect(summary).to_contain_text("100 plaatsen (ingevuld)", timeout=15000)
    ede = page.locator("#fairshare-table tr[data-code='GM0228']")
    expect(ede.locator(".fairshare-share")).to_have_text("46,7", timeout=15000)
    expect(page.locator("#fairshare-table tr[data-code='GM0203'] .fairshare-share")).to_have_text(
        "23,6"
    )
    # the choropleth: one area per gemeente of the region, and the bar chart
    expect(page.locator("path.fairshare-area")).to_have_count(6, timeout=15000)
    assert page.locator("#fairshare-chart rect.fairshare-bar-capacity").count() == 6
    assert page.locator("#fairshare-chart rect.fairshare-bar-share").count() == 6
    href = page.locator("#fairshare-export").get_attribute("href") or ""
    assert "f=csv" in href and "need=100" in href and "region=GM0228" in href
    csv_text = page.evaluate("async (u) => (await fetch(u)).text()", href)
    assert "GM0228,Ede" in csv_text and "46.732" in csv_text

    # the key can be changed: equal shares
    page.select_option("#fairshare-key", "equal")
    expect(ede.locator(".fairshare-share")).to_have_text("16,7", timeout=15000)

    # in English
    page.click("#lang-en")
    expect(page.locator("#fairshare-panel summary")).to_contain_text("Fair share per region")
    expect(summary).to_contain_text("100 places (typed in)")
    page.screenshot(path=str(output_dir / "fairshare.png"))
    assert not errors, errors
