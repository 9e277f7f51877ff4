"""Browser test (issue 13): the map draws every site from vector tiles and recolours them when a
weight moves, from the values in the tiles, without a new tile request; the page's score of a
tile feature is the API's score. Headless Chromium against the real API on the demo data."""

from __future__ import annotations

from typing import Any

import mapbox_vector_tile
from test_browser import _open_page, _wait_for_list, base_url, browser  # noqa: F401

from sitefinder.api.mvt import lonlat_to_tile

PANE = ".leaflet-siteTiles-pane"
SCORE_COLOURS = ["#d7191c", "#fdae61", "#fee08b", "#a6d96a", "#1a9641"]  # web/src/symbols.js

# Per canvas of the sites' tiles: how many opaque pixels are nearest to each score colour.
HISTOGRAM_JS = """
(colours) => {
  const rgb = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
  const counts = colours.map(() => 0);
  for (const canvas of document.querySelectorAll(".leaflet-siteTiles-pane canvas")) {
    if (!canvas.width || !canvas.height) continue;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 200) continue;
      let best = -1, bestD = 40 * 40 * 3;
      rgb.forEach(([r, g, b], k) => {
        const d = (data[i] - r) ** 2 + (data[i + 1] - g) ** 2 + (data[i + 2] - b) ** 2;
        if (d < bestD) { bestD = d; best = k; }
      });
      if (best >= 0) counts[best] += 1;
    }
  }
  return counts;
}
"""


def _pane(page: Any) -> dict[str, str]:
    data: dict[str, str] = page.evaluate(
        f"() => ({{...document.querySelector('{PANE}')?.dataset}})"
    )
    return data


def test_tile_drawn_sites_recolour_without_new_tiles(
    browser: object,  # noqa: F811
    base_url: str,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/tiles/sites/" in r.url else None)
    _wait_for_list(page)
    page.wait_for_function(f"() => document.querySelector('{PANE}')?.dataset.loaded", timeout=20000)
    page.wait_for_timeout(500)
    drawn = int(_pane(page)["features"])
    markers = page.locator(".site-marker").count()
    # every site, not only the ranked top of the list (at most 100 markers)
    assert markers <= 100 < drawn, (markers, drawn)
    # what the page fetched, from its own Resource Timing record: the first tiles can arrive
    # before the listener above was attached (it is, after the page has opened)
    fetched: list[str] = page.evaluate(
        "() => performance.getEntriesByType('resource').map((e) => e.name)"
        ".filter((u) => u.includes('/api/tiles/sites/'))"
    )
    assert fetched and all(".mvt?profile=" in url for url in [*fetched, *requests])
    expect(page.locator(f"{PANE} canvas").first).to_be_attached()
    before = page.evaluate(HISTOGRAM_JS, SCORE_COLOURS)
    assert sum(before) > 1000, before  # the canvases hold coloured sites

    # the page's score of a tile feature is the API's score (web/src/sitetiles.js tileScore)
    profiles = page.request.get(base_url + "/api/profiles").json()
    weights = next(p for p in profiles["profiles"] if p["name"] == profiles["default"])["weights"]
    listed = page.request.get(
        base_url + "/api/sites", params={"limit": "8", "include_excluded": "true"}
    ).json()["features"]
    for feature in listed:
        lon, lat = feature["geometry"]["coordinates"]
        x, y = lonlat_to_tile(lon, lat, 12)
        body = page.request.get(f"{base_url}/api/tiles/sites/12/{x}/{y}.mvt").body()
        props = next(
            f["properties"]
            for f in mapbox_vector_tile.decode(body)["sites"]["features"]
            if f["properties"]["site_id"] == feature["id"]
        )
        got = page.evaluate(
            """async ([props, weights]) => {
              const { tileScore } = await import("/src/sitetiles.js");
              const positive = Object.entries(weights).filter(([, w]) => w > 0);
              const total = positive.reduce((s, [, w]) => s + w, 0);
              return tileScore(props, positive, total).score;
            }""",
            [props, weights],
        )
        expected = feature["properties"]["score"]
        if expected is None:
            assert got is None, feature["id"]
        else:
            assert abs(got - expected) < 0.002, (feature["id"], got, expected)

    # move weights: every loaded site is restyled from its values, and no tile is fetched
    requests.clear()
    recolours = int(_pane(page).get("recolours", "0"))
    sliders = page.locator("#weights input[type=range].weight-slider")
    first, last = sliders.first, sliders.nth(sliders.count() - 1)
    first.fill(first.get_attribute("max") or "1")
    last.fill("0")
    page.wait_for_function(
        f"() => Number(document.querySelector('{PANE}').dataset.recolours ?? 0) > {recolours}",
        timeout=5000,
    )
    page.wait_for_timeout(1500)  # the list reloads (the ranked top); tiles must not
    state = _pane(page)
    assert int(state["recoloured"]) == int(state["features"]) == drawn
    after = page.evaluate(HISTOGRAM_JS, SCORE_COLOURS)
    assert after != before, (before, after)
    moved = sum(abs(a - b) for a, b in zip(after, before, strict=True))
    assert moved > 100, (before, after)
    assert requests == [], requests
    assert not errors, errors
    page.close()
