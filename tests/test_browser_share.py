"""Browser test of share links (web/src/urlstate.js, share.js) in Chromium on the demo data: a
profile, own weights, filters, an overlay, a selected site and the language go into the URL;
"Kopieer link" copies it; the link opened in a fresh browser context (no shared storage)
shows the same state; back and forward step through the changes, panning adds no step; the
export menu's links are the list's query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from test_browser import _wait_for_list, browser, serving

from sitefinder.core.settings import Settings

__all__ = ["browser"]  # the Chromium fixture of test_browser
WEIGHT = "daily_needs"
LAYER = "natura2000"


@pytest.fixture(scope="module")
def share_url(demo_settings: Settings) -> Iterator[str]:
    with serving(demo_settings) as url:
        yield url


def _context(browser: Any, base_url: str) -> Any:
    """A fresh context (own storage) that may use the clipboard."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    return context


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _without_view(url: str) -> dict[str, list[str]]:
    """The query without the view (an entry's view follows the panning done in it)."""
    return {k: v for k, v in _query(url).items() if k not in ("c", "z")}


def _state(page: Any) -> dict[str, Any]:
    """What the page shows: the controls, the overlay, the open site, the language, the list."""
    return page.evaluate(
        """(args) => ({
          profile: document.querySelector('#profile-select').value,
          weight: document.querySelector('#weight-' + args.weight).value,
          custom: !document.querySelector('#weights-custom').hidden,
          gemeente: document.querySelector('#filter-gemeente').value,
          kind: document.querySelector('#filter-kind').value,
          excluded: document.querySelector('#filter-excluded').checked,
          minScore: document.querySelector('#filter-min-score').value,
          layer: Boolean(document.querySelector('#layer-' + args.layer)?.checked),
          detail: !document.querySelector('#detail').hidden,
          site: document.querySelector('#detail-name').textContent,
          lang: document.documentElement.lang,
          rows: [...document.querySelectorAll('#site-list .site-row')].map((r) => r.dataset.id),
        })""",
        {"weight": WEIGHT, "layer": LAYER},
    )


def _history(page: Any) -> int:
    return int(page.evaluate("history.length"))


def _settle(page: Any) -> None:
    page.wait_for_timeout(400)  # debounced commits (weights 150 ms, moves 250 ms)
    _wait_for_list(page)


def _steady(page: Any) -> None:
    """Settle until the view stops moving (the URL the same before and after a settle): a
    selection's detail pans the map, with an animation, once it arrives."""
    for _ in range(10):
        url = page.url
        _settle(page)
        if page.url == url:
            return


def test_a_copied_link_restores_the_state_and_history_steps_through_it(
    browser: Any, share_url: str
) -> None:
    from playwright.sync_api import expect

    context = _context(browser, share_url)
    page = context.new_page()
    errors = _errors(page)
    page.goto(share_url + "/")
    _wait_for_list(page)
    profiles = page.request.get(share_url + "/api/profiles").json()
    other = next(p["name"] for p in profiles["profiles"] if p["name"] != profiles["default"])
    start = page.url
    assert _query(start)["profile"] == [profiles["default"]] and _query(start)["lang"] == ["nl"]
    steps = [start]

    def step(action: Any) -> None:
        before = _history(page)
        action()
        _settle(page)
        assert _history(page) == before + 1, page.url  # one entry per change
        steps.append(page.url)

    step(lambda: page.select_option("#profile-select", other))
    step(lambda: page.locator(f"#weight-{WEIGHT}").fill("0.9"))
    step(lambda: page.select_option("#filter-gemeente", "GM0228"))  # zooms there, too
    step(lambda: page.select_option("#filter-kind", "vakantiepark"))
    step(lambda: page.check("#filter-excluded"))
    page.click("#layers-panel summary")
    step(lambda: page.check(f"#layer-{LAYER}"))
    first = page.locator("#site-list .site-row").first
    chosen = first.get_attribute("data-id")
    step(lambda: first.click())
    expect(page.locator("#detail")).to_be_visible()
    step(lambda: page.click("#lang-en"))

    query = _query(page.url)
    assert query["profile"] == [other] and query["gemeente"] == ["GM0228"]
    assert query["kind"] == ["vakantiepark"] and query["excluded"] == ["1"]
    assert f"{WEIGHT}:0.9" in query["w"][0] and query["layers"] == [LAYER]
    assert query["site"] == [chosen] and query["lang"] == ["en"]
    assert float(query["z"][0]) >= 10  # the view of Ede

    # panning or zooming rewrites the entry, it adds none
    before, zoom = _history(page), query["z"][0]
    with page.expect_response(lambda r: "/api/sites?" in r.url, timeout=20000):
        page.click(".leaflet-control-zoom-in")  # the list follows the view
    _steady(page)
    assert _history(page) == before and _query(page.url)["z"][0] != zoom
    steps[-1] = page.url
    expect(page.locator("#detail-name")).not_to_be_empty()
    shown = _state(page)
    assert shown["detail"] and shown["custom"] and shown["layer"] and shown["lang"] == "en"

    # "Copy link": the clipboard holds the page's URL
    page.click("#share-copy")
    expect(page.locator("#share-status")).to_contain_text("Link copied")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.url

    # the export menu: the list's query with f=..., for every format
    page.click("#export-menu summary")
    href = page.get_attribute("#export-gpkg", "href")
    export = _query(href)
    assert export["f"] == ["gpkg"] and export["gemeente"] == ["GM0228"]
    assert export["profile"] == [other] and f"{WEIGHT}:0.9" in export["weights"][0]
    assert export["kind"] == ["vakantiepark"] and export["include_excluded"] == ["true"]
    listed = page.request.get(share_url + href.replace("f=gpkg", "f=geojson")).json()
    assert [f["id"] for f in listed["features"]][: len(shown["rows"])] == shown["rows"]

    # the link in a fresh context (no storage shared with the first): the same state
    fresh_context = _context(browser, share_url)
    fresh = fresh_context.new_page()
    fresh_errors = _errors(fresh)
    fresh.goto(link)
    _wait_for_list(fresh)
    expect(fresh.locator("#detail")).to_be_visible()
    expect(fresh.locator("#detail-name")).to_have_text(shown["site"])
    fresh.wait_for_timeout(500)
    assert _state(fresh) == shown
    assert _query(fresh.url) == _query(link)
    assert fresh.locator("#weights-custom").is_visible()
    fresh_context.close()

    # back steps through the changes, one by one; forward goes the other way
    expected_back = [
        ("lang", "nl"),
        ("detail", False),
        ("layer", False),
        ("excluded", False),
        ("kind", ""),
        ("gemeente", ""),
        ("custom", False),
        ("profile", profiles["default"]),
    ]
    for index, (key, value) in enumerate(expected_back):
        page.go_back()
        _settle(page)
        assert _without_view(page.url) == _without_view(steps[-2 - index]), (key, page.url)
        assert _state(page)[key] == value, (key, _state(page))
    page.go_forward()
    _settle(page)
    assert _state(page)["profile"] == other
    assert _without_view(page.url) == _without_view(steps[1])
    for _ in range(len(steps) - 2):
        page.go_forward()
    _settle(page)
    expect(page.locator("#detail-name")).to_have_text(shown["site"])
    assert _state(page)["lang"] == "en" and _query(page.url) == _query(link)
    assert not errors and not fresh_errors, (errors, fresh_errors)
    context.close()


def test_a_link_with_unknown_values_falls_back_to_defaults(browser: Any, share_url: str) -> None:
    context = _context(browser, share_url)
    page = context.new_page()
    errors = _errors(page)
    page.goto(
        share_url + "/?profile=nope&w=nothing:1&gemeente=XX&rank_by=drop&min_score=abc"
        "&layers=unknown&lang=fr&c=abc&z=x"
    )
    _wait_for_list(page)
    state = _state(page)
    profiles = page.request.get(share_url + "/api/profiles").json()
    assert state["profile"] == profiles["default"] and not state["custom"]
    assert state["lang"] == "nl" and not state["detail"] and state["minScore"] == "0"
    assert not errors, errors
    context.close()
