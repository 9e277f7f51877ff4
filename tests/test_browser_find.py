"""Browser tests in Chromium: an owner finds their property on the map (issue 11) by picking a
BRK parcel or a building (GET /api/layers/{name}/at), or by drawing and editing a polygon with
Leaflet-Geoman, with the mouse and with the keyboard only; each is scored by POST /api/score
and can be saved.

The map opens on a point through the URL's state (``c`` = lat,lon, ``z``): the point is then
the centre of the map, where a click or the keyboard's "here" lands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from accounts_helpers import Account, make_accounts
from test_browser import _open_page, browser, serving
from test_browser_match import _login

from sitefinder.core.settings import Settings

__all__ = ["browser"]  # the shared Chromium fixture

AMSTERDAM = (52.37, 4.90)  # lat, lon: the centre, stops, shops and care around
# Amsterdam-Zuidoost: far enough from the nearest stops and care that a shape grown by a few
# hundred metres scores higher (in the centre every shape scores the same, near the top)
ZUIDOOST = (52.33, 4.95)


@pytest.fixture(scope="module")
def find_url(demo_copy: Settings) -> Iterator[str]:
    with serving(demo_copy) as url:
        yield url


@pytest.fixture(scope="module")
def owner(demo_copy: Settings) -> Account:
    return make_accounts(demo_copy, prefix="find-")["eigenaar"]


def _centre(page: Any) -> tuple[float, float]:
    box = page.locator("#map").bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _inside(page: Any, base: str, layer: str) -> tuple[dict[str, Any], float, float]:
    """The largest feature of a layer (from the API) and a WGS84 point inside it."""
    response = page.request.get(f"{base}/api/layers/{layer}?limit=20000")
    assert response.ok
    features = response.json()["features"]
    feature = max(features, key=lambda f: (shapely.geometry.shape(f["geometry"]).area, f["id"]))
    point = shapely.geometry.shape(feature["geometry"]).point_on_surface()
    return feature, point.x, point.y


def _map_at(page: Any, base: str, lat: float, lon: float, z: int) -> None:
    """The map centred on a point, its list loaded (with sites in view or none)."""
    from playwright.sync_api import expect

    page.goto(f"{base}/?c={lat:.7f},{lon:.7f}&z={z}")
    expect(page.locator("#site-list > *").first).to_be_attached(timeout=15000)
    expect(page.locator("#results")).not_to_have_class(re.compile(r"is-loading"), timeout=15000)


def _pick_at(page: Any, base: str, lon: float, lat: float) -> Any:
    """Open the map on the point, choose "Aanwijzen" and click the centre: the score answer."""
    _map_at(page, base, lat, lon, 18)
    page.click("#adhoc-start")
    page.check("#adhoc-mode-pick")
    with page.expect_response(lambda r: "/api/score" in r.url) as scored:
        page.mouse.click(*_centre(page))
    assert scored.value.ok
    return scored.value


def test_owner_picks_a_parcel_or_a_building_and_saves_it(
    browser: object, find_url: str, owner: Account, output_dir: Any
) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, find_url)
    _login(page, owner)
    # a BRK parcel (an unbuilt plot in Otterlo): its geometry is the own site, scored
    parcel, lon, lat = _inside(page, find_url, "plots")
    scored = _pick_at(page, find_url, lon, lat)
    sent = scored.request.post_data_json
    assert shapely.geometry.shape(sent["geometry"]).equals_exact(
        shapely.geometry.shape(parcel["geometry"]), 1e-6
    )
    label = f"Onbebouwde percelen: {parcel['properties']['name']}"
    assert sent["name"] == label
    expect(page.locator("#detail.is-adhoc #detail-name")).to_have_text(label)
    props = scored.json()["properties"]
    expect(page.locator("#detail.is-adhoc #detail-score")).to_have_text(
        f"{props['score']:.2f}".replace(".", ","), timeout=10000
    )
    expect(page.locator("#adhoc-panel")).to_be_hidden()
    expect(page.locator(".adhoc-shape")).to_have_count(1)
    # ... and saved privately, from the owner's panel
    expect(page.locator("#offer-plot")).to_contain_text("score", timeout=10000)
    page.fill("#offer-name", "Kavel Otterlo")
    page.click("#offer-save")
    saved = page.locator("#offer-list .match-item", has_text="Kavel Otterlo")
    expect(saved).to_contain_text("Bewaard (privé)", timeout=10000)
    page.screenshot(path=str(output_dir / "find-parcel.png"))

    # a building (BGT, Otterlo), in English
    page.click("#lang-en")
    building, lon, lat = _inside(page, find_url, "bgt_panden")
    scored = _pick_at(page, find_url, lon, lat)
    assert shapely.geometry.shape(scored.request.post_data_json["geometry"]).equals_exact(
        shapely.geometry.shape(building["geometry"]), 1e-6
    )
    expect(page.locator("#detail.is-adhoc .breakdown-row").first).to_be_visible(timeout=10000)

    # nothing there: the panel says so and stays open for another click
    _map_at(page, find_url, *AMSTERDAM, 18)
    page.click("#lang-nl")
    page.click("#adhoc-start")
    page.check("#adhoc-mode-pick")
    with page.expect_response(lambda r: "/at?" in r.url and "plots" in r.url):
        page.mouse.click(*_centre(page))
    expect(page.locator("#adhoc-hint")).to_contain_text("Hier ligt geen perceel of pand")
    expect(page.locator("#adhoc-panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#adhoc-panel")).to_be_hidden()
    assert not errors, errors
    page.close()


def _corner_centre(page: Any, n: int) -> tuple[float, float]:
    box = page.locator(".marker-icon:not(.marker-icon-middle)").nth(n).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_owner_draws_a_polygon_with_geoman_and_edits_a_corner(
    browser: object, find_url: str, output_dir: Any
) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, find_url)
    _map_at(page, find_url, *ZUIDOOST, 15)
    x, y = _centre(page)
    page.click("#adhoc-start")
    page.check("#adhoc-mode-polygon")
    expect(page.locator("#map.geoman-draw-cursor")).to_be_attached()  # Geoman draws
    corners = [(x - 60, y - 40), (x + 20, y - 40), (x + 20, y + 40)]
    for i, (cx, cy) in enumerate(corners):
        page.mouse.click(cx, cy)
        expect(page.locator("#adhoc-finish")).to_be_visible(visible=i == 2)
    with page.expect_response(lambda r: "/api/score" in r.url) as first:
        page.mouse.dblclick(x - 60, y + 40)  # the fourth corner, and done
    drawn = first.value.request.post_data_json["geometry"]
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5  # closed ring
    before = first.value.json()["properties"]
    expect(page.locator("#detail.is-adhoc #detail-score")).to_have_text(
        f"{before['score']:.2f}".replace(".", ","), timeout=10000
    )

    # edit: drag a corner far out; the shape is scored again and the panel follows
    page.click("#adhoc-edit")
    expect(page.locator("#adhoc-edit-panel")).to_be_visible()
    expect(page.locator(".marker-icon:not(.marker-icon-middle)")).to_have_count(4)
    cx, cy = _corner_centre(page, 0)
    with page.expect_response(lambda r: "/api/score" in r.url) as second:
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx - 200, cy - 200, steps=8)
        page.mouse.up()
    edited = second.value.request.post_data_json["geometry"]
    assert edited != drawn and len(edited["coordinates"][0]) == 5
    after = second.value.json()["properties"]
    assert after["area_m2"] > 2 * before["area_m2"]
    assert after["score"] != before["score"], (before["score"], after["score"])
    expect(page.locator("#detail.is-adhoc #detail-score")).to_have_text(
        f"{after['score']:.2f}".replace(".", ","), timeout=10000
    )
    page.screenshot(path=str(output_dir / "find-edit.png"))
    page.click("#adhoc-edit-done")
    expect(page.locator("#adhoc-edit-panel")).to_be_hidden()
    expect(page.locator(".adhoc-shape")).to_have_count(1)
    expect(page.locator(".marker-icon")).to_have_count(0)
    assert not errors, errors
    page.close()


def _active(page: Any) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(
        "(() => { const e = document.activeElement;"
        " return {id: e.id, classes: [...e.classList], label: e.getAttribute('aria-label')}; })()"
    )
    return found


def _tab_to(page: Any, key: str, wanted: Any, limit: int = 12) -> dict[str, Any]:
    """Press ``key`` (Tab or Shift+Tab) until the focused element is ``wanted``."""
    for _ in range(limit):
        page.keyboard.press(key)
        if wanted(active := _active(page)):
            return active
    raise AssertionError(f"{key} did not reach the element: {_active(page)}")


def test_keyboard_only_draw_undo_finish_edit_and_cancel(
    browser: object, find_url: str, output_dir: Any
) -> None:
    """Tab, Enter, Space, arrows, Backspace, Delete and Escape: the whole path without a mouse."""
    from playwright.sync_api import expect

    page, errors = _open_page(browser, find_url)
    _map_at(page, find_url, *AMSTERDAM, 16)
    page.focus("#adhoc-start")
    page.keyboard.press("Enter")  # open the panel ...
    expect(page.locator("#adhoc-panel")).to_be_visible()
    page.keyboard.press("Escape")  # ... Escape cancels
    expect(page.locator("#adhoc-panel")).to_be_hidden()
    assert _active(page)["id"] == "adhoc-start"

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the shape: point, polygon or pick (arrows choose)
    page.keyboard.press("ArrowRight")
    expect(page.locator("#adhoc-mode-polygon")).to_be_checked()
    expect(page.locator("#map.geoman-draw-cursor")).to_be_attached()
    _tab_to(page, "Tab", lambda a: a["id"] == "adhoc-here")
    expect(page.locator("#adhoc-here")).to_have_text("Hoek in het midden van de kaart")
    page.keyboard.press("Enter")  # a corner at the centre (the crosshair)
    expect(page.locator("#adhoc-hint")).to_contain_text("1 gezet")
    # to the map (Geoman's drawing markers are no Tab stops): arrows pan, Space puts a corner
    _tab_to(page, "Shift+Tab", lambda a: a["id"] == "map")
    for key, n in (("ArrowRight", 2), ("ArrowDown", 3)):
        page.keyboard.press(key)
        expect(page.locator(".leaflet-pan-anim")).to_have_count(0)  # panned
        page.keyboard.press(" ")
        expect(page.locator("#adhoc-hint")).to_contain_text(
            f"{n} gezet" if n < 3 else "Klik de hoekpunten"
        )
    page.keyboard.press("Backspace")  # undo the last corner
    expect(page.locator("#adhoc-hint")).to_contain_text("2 gezet")
    expect(page.locator("#adhoc-finish")).to_be_hidden()
    for key in ("ArrowDown", "ArrowLeft"):
        page.keyboard.press(key)
        expect(page.locator(".leaflet-pan-anim")).to_have_count(0)  # panned
        page.keyboard.press(" ")
    expect(page.locator("#adhoc-finish")).to_be_visible()
    with page.expect_response(lambda r: "/api/score" in r.url) as first:
        page.keyboard.press("Enter")  # finish
    ring = first.value.request.post_data_json["geometry"]["coordinates"][0]
    assert len(ring) == 5  # four corners, closed
    expect(page.locator("#detail.is-adhoc #detail-score")).to_have_text(
        f"{first.value.json()['properties']['score']:.2f}".replace(".", ","), timeout=10000
    )

    # edit by keyboard: Tab to a corner, an arrow moves it, Delete removes one
    _tab_to(page, "Tab", lambda a: a["id"] == "adhoc-edit", limit=20)
    page.keyboard.press("Enter")
    expect(page.locator("#adhoc-edit-panel")).to_be_visible()
    assert _active(page)["id"] == "adhoc-edit-done"
    corner = _tab_to(page, "Shift+Tab", lambda a: "Hoek" in (a["label"] or ""))
    assert corner["label"].endswith("pijltjes verplaatsen, Delete verwijdert")
    with page.expect_response(lambda r: "/api/score" in r.url) as moved:
        page.keyboard.press("Shift+ArrowUp")
    moved_ring = moved.value.request.post_data_json["geometry"]["coordinates"][0]
    assert len(moved_ring) == 5 and moved_ring != ring
    with page.expect_response(lambda r: "/api/score" in r.url) as deleted:
        page.keyboard.press("Delete")
    assert len(deleted.value.request.post_data_json["geometry"]["coordinates"][0]) == 4
    expect(page.locator(".marker-icon:not(.marker-icon-middle)")).to_have_count(3)
    page.screenshot(path=str(output_dir / "find-keyboard.png"))
    # Escape: back to the shape before editing, scored again
    with page.expect_response(lambda r: "/api/score" in r.url) as back:
        page.keyboard.press("Escape")
    assert back.value.request.post_data_json["geometry"]["coordinates"][0] == ring
    expect(page.locator("#adhoc-edit-panel")).to_be_hidden()
    assert not errors, errors
    page.close()
