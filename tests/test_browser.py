"""Browser test: the real page in headless Chromium against the real API on the demo data."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from sitefinder.api import create_app
from sitefinder.core.settings import Settings
from sitefinder.scoring.criteria import catalogue

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
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)

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
    assert breakdown.count() == len(catalogue())  # one row per criterion
    assert "geen gegevens" in detail.inner_text().lower()  # zoning has no data in Amsterdam

    page.screenshot(path=str(output_dir / "map-breakdown.png"), full_page=True)

    # English is available
    page.click("#lang-toggle")
    page.wait_for_timeout(300)
    assert "no data" in page.locator("body").inner_text().lower()
    page.screenshot(path=str(output_dir / "map-english.png"), full_page=True)
    assert not errors, errors
    page.close()


def _site_kinds(page: Any, base_url: str) -> list[dict[str, Any]]:
    """The site kinds the catalogue declares (GET /api/layers), in catalogue order."""
    response = page.request.get(base_url + "/api/layers")
    assert response.ok
    return [
        layer["site_kind"]
        for layer in response.json()["layers"]
        if layer["kind"] == "site" and layer["site_kind"]
    ]


def test_site_kinds_come_from_the_catalogue(browser: object, base_url: str) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    kinds = _site_kinds(page, base_url)
    assert kinds, "the catalogue declares no site kind"
    _wait_for_list(page)

    # the kind filter: "all kinds" and one option per catalogue kind, titled with its plural
    options = page.locator("#filter-kind option")
    expect(options).to_have_count(len(kinds) + 1)
    assert page.eval_on_selector_all("#filter-kind option", "os => os.map(o => o.value)") == [
        "",
        *[k["code"] for k in kinds],
    ]
    labels = page.eval_on_selector_all("#filter-kind option", "os => os.map(o => o.textContent)")
    assert labels[1:] == [k["plural"]["nl"] for k in kinds]

    # the legend: one symbol per kind, with the catalogue's title and shape
    legend = page.locator("#legend .legend-kind")
    expect(legend).to_have_count(len(kinds))
    assert [legend.nth(i).inner_text().strip() for i in range(len(kinds))] == [
        k["title"]["nl"] for k in kinds
    ]
    shapes = {k["code"]: k["shape"] for k in kinds}
    assert [legend.nth(i).get_attribute("data-shape") for i in range(len(kinds))] == [
        k["shape"] for k in kinds
    ]

    # every marker is drawn in the shape its kind declares
    drawn = page.eval_on_selector_all(
        ".site-marker", "ms => ms.map(m => [m.dataset.kind, m.dataset.shape])"
    )
    assert drawn
    assert all(shapes[kind] == shape for kind, shape in drawn), drawn

    # choosing a kind narrows the list to it
    code = next(kind for kind, _ in drawn)
    with page.expect_response(lambda r: "/api/sites?" in r.url and f"kind={code}" in r.url):
        page.select_option("#filter-kind", code)
    _wait_for_list(page)
    row_kinds = page.eval_on_selector_all(
        "#site-list .site-row", "rs => rs.map(r => r.dataset.kind)"
    )
    assert row_kinds and set(row_kinds) == {code}

    # English labels from the same catalogue objects
    page.click("#lang-en")
    expect(options.nth(1)).to_have_text(kinds[0]["plural"]["en"])
    expect(legend.first).to_have_text(kinds[0]["title"]["en"])
    expect(page.locator("#filter-kind")).to_have_value(code)
    assert not errors, errors
    page.close()


def test_detail_numbers_in_dutch_and_english(browser: object, base_url: str) -> None:
    """Decimal comma and thousands dot in Dutch, the other way round in English."""
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    page.select_option("#filter-gemeente", "GM0363")
    _wait_for_list(page)

    # a site in the list with a floor or plot area of 1,000 m² or more (a grouped number)
    site: dict[str, Any] | None = None
    for site_id in _list_ids(page, 100):
        response = page.request.get(f"{base_url}/api/sites/{site_id}")
        assert response.ok
        props = response.json()["properties"]
        if max(props.get("floor_area_m2") or 0, props.get("area_m2") or 0) >= 1000:
            site = props
            break
    assert site is not None, "no site of 1,000 m² or more in Amsterdam"
    size_key = "floor-area" if (site.get("floor_area_m2") or 0) >= 1000 else "area"
    page.click(f'#site-list .site-row[data-id="{site["id"]}"]')
    detail = page.locator("#detail")
    expect(detail.locator(".breakdown-row").first).to_be_visible(timeout=10000)
    size = detail.locator(f'.detail-size [data-size="{size_key}"] dd')
    # distances from 1 km to 10 km are shown in km with one decimal
    km = [
        item["criterion"]
        for item in site["breakdown"]
        if item["unit"] == "m" and item["raw"] is not None and 1000 <= item["raw"] < 10000
    ]

    def figures(criterion: str) -> str:
        return str(
            detail.locator(
                f'.breakdown-row[data-criterion="{criterion}"] .breakdown-figures'
            ).inner_text()
        )

    expect(page.locator("#detail-score")).to_have_text(re.compile(r"^\d,\d\d$"))
    expect(size).to_have_text(re.compile(r"^\d{1,3}(\.\d{3})+ m²"))
    for criterion in km:
        assert re.search(r"\b\d,\d km\b", figures(criterion)), figures(criterion)

    page.click("#lang-en")
    expect(page.locator("#detail-score")).to_have_text(re.compile(r"^\d\.\d\d$"))
    expect(size).to_have_text(re.compile(r"^\d{1,3}(,\d{3})+ m²"))
    for criterion in km:
        assert re.search(r"\b\d\.\d km\b", figures(criterion)), figures(criterion)
    assert not errors, errors
    page.close()


def test_breakdown_words_from_facts(browser: object, base_url: str) -> None:
    """The page words FACTS.md facts per language (Intl number formats and plural rules)."""
    page, errors = _open_page(browser, base_url)
    _wait_for_list(page)
    words = page.evaluate(
        """async () => {
        const { explainItem, explainReason } = await import("/src/words.js");
        const stop = { id: "stops:123", name: "Amstelveen Centrum", category: "tram",
                       walk_m: 1234.4, distance_m: 950, departures_per_hour: 12.0 };
        const items = {
          transit: { criterion: "transit", missing: false, facts: { nearest: stop } },
          one_departure: { criterion: "transit", missing: false,
                           facts: { nearest: { ...stop, departures_per_hour: 1 } } },
          no_timetable: { criterion: "transit", missing: false,
                          facts: { nearest: { ...stop, departures_per_hour: null } } },
          care: { criterion: "care_distance", missing: false,
                  facts: { nearest: { name: "Rijnstate", category: "outpatient_clinic",
                                      walk_m: 8801, distance_m: 6770 } } },
          one: { criterion: "care_count", missing: false, facts: { count: 1, radius_m: 1000 } },
          three: { criterion: "care_count", missing: false, facts: { count: 3, radius_m: 1000 } },
          zoning: { criterion: "zoning", missing: false,
                    facts: { zoning: { class: "wonen", name: "Wonen",
                                       plan: "NL.IMRO.0664.BPBS02-VG99" } } },
          places: { criterion: "size", missing: false, facts: { places: 25 } },
          inside: { criterion: "natura2000", missing: false,
                    facts: { inside: true, area: { id: "n2k:57", name: "Veluwe" } } },
          outside: { criterion: "natura2000", missing: false,
                     facts: { inside: false, nearest: { id: "n2k:57", name: "Veluwe",
                              distance_m: 1500 }, search_radius_m: 5000 } },
          areas: { criterion: "constraints", missing: false,
                   facts: { areas: [
                     { id: "c:1", name: "Waterwingebied", category: "drinking_water" },
                     { id: "c:2", name: "Geluidszone" },
                   ] } },
          missing: { criterion: "zoning", missing: true, facts: null },
          legacy: { criterion: "transit", missing: false,
                    explanation: { nl: "zin van de server", en: "the server's sentence" } },
        };
        const out = {};
        for (const lang of ["nl", "en"]) {
          out[lang] = Object.fromEntries(
            Object.entries(items).map(([key, item]) => [key, explainItem(item, lang)]));
          const titleOf = (name) => (name === "natura2000" ? "Natura 2000" : name);
          out[lang].reason = explainReason({ criterion: "natura2000" }, titleOf, lang);
        }
        return out;
    }"""
    )
    nl, en = words["nl"], words["en"]
    assert nl["transit"] == (
        "Dichtstbijzijnde: Amstelveen Centrum (tram), 1.234 m lopen (geschat), "
        "12 vertrekken per uur"
    )
    assert en["transit"] == (
        "Nearest: Amstelveen Centrum (tram), 1,234 m walking (estimate), 12 departures per hour"
    )
    assert nl["one_departure"].endswith(", 1 vertrek per uur")
    assert en["one_departure"].endswith(", 1 departure per hour")
    assert nl["no_timetable"].endswith(", dienstregeling onbekend")
    assert nl["care"] == "Dichtstbijzijnde: Rijnstate (polikliniek), 8.801 m lopen (geschat)"
    assert en["care"] == "Nearest: Rijnstate (outpatient clinic), 8,801 m walking (estimate)"
    assert nl["one"] == "1 voorziening binnen 1.000 m"
    assert nl["three"] == "3 voorzieningen binnen 1.000 m"
    assert en["one"] == "1 facility within 1,000 m"
    assert en["three"] == "3 facilities within 1,000 m"
    assert nl["zoning"] == "Bestemming ‘Wonen’ in plan NL.IMRO.0664.BPBS02-VG99"
    assert nl["places"] == "Geschat 25 plaatsen"
    assert en["places"] == "Estimated 25 places"
    assert nl["inside"] == "Ligt in Veluwe"
    assert nl["outside"] == "Ligt erbuiten; dichtstbijzijnde gebied: Veluwe op 1.500 m"
    assert en["outside"] == "Outside; nearest area: Veluwe at 1,500 m"
    # a category code without words of its own is shown with spaces
    assert nl["areas"] == "Ligt in: Waterwingebied (drinking water) en Geluidszone"
    assert en["areas"] == "Lies in: Waterwingebied (drinking water) and Geluidszone"
    assert nl["missing"].startswith("Geen gegevens hier")
    assert en["missing"].startswith("No data here")
    assert nl["reason"] == "Uitgesloten door: Natura 2000"
    assert en["reason"] == "Excluded by: Natura 2000"
    # before the server sends facts: its own sentence, in the language asked for
    assert nl["legacy"] == "zin van de server"
    assert en["legacy"] == "the server's sentence"
    assert not errors, errors
    page.close()


def _open_page(browser: object, url: str) -> tuple[Any, list[str]]:
    """A new 1400x900 page on the map, collecting script errors (not the offline basemap)."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error"
            and "127.0.0.1" not in msg.text
            and "Failed to load" not in msg.text
            else None
        ),
    )
    page.goto(url + "/")
    return page, errors


def _profiles(page: Any, base_url: str) -> dict[str, Any]:
    response = page.request.get(base_url + "/api/profiles")
    assert response.ok
    data: dict[str, Any] = response.json()
    return data


def _scoring_criteria(profiles: dict[str, Any]) -> list[str]:
    """The criteria that weigh in the score (and get a slider); constraints only exclude."""
    return [c["name"] for c in profiles["criteria"] if not c["constraint"]]


def _list_ids(page: Any, n: int = 10) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "#site-list .site-row", f"rows => rows.slice(0, {n}).map(r => r.dataset.id)"
    )
    return ids


def _wait_for_list(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#site-list .site-row").first).to_be_visible(timeout=15000)
    expect(page.locator("#results")).not_to_have_class(re.compile(r"is-loading"), timeout=15000)


def test_weights_rerank_live_and_profiles_switch(
    browser: object, base_url: str, output_dir: Path
) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    profiles = _profiles(page, base_url)
    scoring = _scoring_criteria(profiles)
    weights_of = {p["name"]: p["weights"] for p in profiles["profiles"]}
    _wait_for_list(page)
    rows = page.locator("#site-list .site-row")

    # rank stability beside each rank, explained on hover
    badges = page.locator("#site-list .site-row .stability")
    expect(badges.first).to_be_visible()
    assert badges.count() == rows.count()
    assert "top 10" in (badges.first.get_attribute("title") or "")
    assert re.fullmatch(r"\d+\s?%", badges.first.inner_text().strip())

    # the default profile is chosen, and its weights are on the sliders
    expect(page.locator("#profile-select")).to_have_value(profiles["default"])
    expect(page.locator("#weights-panel")).to_have_attribute("open", "")  # sliders unfolded
    sliders = page.locator("#weights input[type=range].weight-slider")
    expect(sliders).to_have_count(len(scoring))

    def slider(name: str) -> Any:
        return page.locator(f'#weights .weight-slider[data-criterion="{name}"]')

    def assert_sliders(profile: str) -> None:
        for name in scoring:
            value = float(slider(name).input_value())
            assert value == pytest.approx(weights_of[profile][name]), (profile, name)

    assert_sliders(profiles["default"])
    expect(page.locator("#weights-custom")).to_be_hidden()

    # own weights: no transit, all on size; the list is re-ranked with weights=
    before = _list_ids(page)
    with page.expect_response(
        lambda r: "/api/sites?" in r.url and "size%3A1" in r.url and "transit%3A0" in r.url
    ) as response:
        slider("transit").fill("0")
        slider("size").fill("1")
    assert response.value.ok
    assert f"profile={profiles['default']}" in response.value.url
    page.wait_for_function(
        "before => [...document.querySelectorAll('#site-list .site-row')]"
        ".slice(0, 10).map(r => r.dataset.id).join() !== before",
        arg=",".join(before),
        timeout=10000,
    )
    _wait_for_list(page)
    assert _list_ids(page) != before, "moving the sliders did not change the order"
    expect(badges.first).to_be_visible()
    expect(page.locator("#weights-custom")).to_be_visible()
    expect(page.locator("#weights-reset")).to_be_visible()
    page.screenshot(path=str(output_dir / "weights-reranked.png"))

    # another profile: the sliders take its weights, the own weights are gone
    with page.expect_response(lambda r: "/api/sites?" in r.url and "begeleid_wonen" in r.url):
        page.select_option("#profile-select", "begeleid_wonen")
    assert_sliders("begeleid_wonen")
    expect(page.locator("#weights-custom")).to_be_hidden()
    expect(page.locator("#profile-description")).not_to_be_empty()
    _wait_for_list(page)

    # the detail panel follows the weights: transit at 0 shows in its breakdown
    rows.first.click()
    transit = page.locator('#detail .breakdown-row[data-criterion="transit"]')
    expect(transit).to_be_visible(timeout=10000)
    expect(transit).not_to_have_class(re.compile(r"is-unweighted"))
    with page.expect_response(lambda r: "/api/sites/" in r.url and "weights=" in r.url):
        slider("transit").fill("0")
    expect(transit).to_have_class(re.compile(r"is-unweighted"), timeout=10000)
    page.screenshot(path=str(output_dir / "profile-begeleid-wonen.png"))

    # and back to the profile
    page.click("#weights-reset")
    expect(page.locator("#weights-custom")).to_be_hidden()
    assert_sliders("begeleid_wonen")
    assert not errors, errors
    page.close()


def test_score_own_site(browser: object, base_url: str, output_dir: Path) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    n_criteria = len(_profiles(page, base_url)["criteria"])
    _wait_for_list(page)
    box = page.locator("#map").bounding_box()
    assert box is not None

    def click_map(fx: float, fy: float, double: bool = False) -> None:
        x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
        (page.mouse.dblclick if double else page.mouse.click)(x, y)

    # Escape cancels drawing
    page.click("#adhoc-start")
    expect(page.locator("#adhoc-panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#adhoc-panel")).to_be_hidden()

    # a polygon across half the country is too large: the API's reason appears in the banner
    page.click("#adhoc-start")
    page.check("#adhoc-mode-polygon")
    for fx, fy in [(0.45, 0.35), (0.6, 0.4), (0.55, 0.6)]:
        click_map(fx, fy)
    click_map(0.5, 0.55, double=True)
    expect(page.locator("#banner")).to_be_visible(timeout=10000)
    expect(page.locator("#detail")).to_be_hidden()
    page.click("#banner-close")

    # a point in Amsterdam with 30 places: scored like a stored site, in the detail panel
    page.select_option("#filter-gemeente", "GM0363")
    _wait_for_list(page)
    page.click("#adhoc-start")
    page.check("#adhoc-mode-point")
    page.fill("#adhoc-places", "30")
    with page.expect_response(lambda r: "/api/score" in r.url) as response:
        click_map(0.4, 0.5)
    assert response.value.ok
    assert response.value.request.post_data_json["places"] == 30
    expect(page.locator("#detail.is-adhoc .breakdown-row")).to_have_count(n_criteria, timeout=10000)
    expect(page.locator("#detail-score")).to_have_text(re.compile(r"\d[,.]\d\d"))
    expect(page.locator(".adhoc-shape")).to_have_count(1)
    expect(page.locator("#adhoc-panel")).to_be_hidden()
    page.screenshot(path=str(output_dir / "own-site.png"))

    # closing the panel takes the own site off the map
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    expect(page.locator(".adhoc-shape")).to_have_count(0)
    assert not errors, errors
    page.close()
