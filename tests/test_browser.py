"""Browser test: the real page in headless Chromium against the real API on the demo data."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from sitefinder.api import create_app
from sitefinder.core.settings import Settings
from sitefinder.scoring.criteria import catalogue

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# the page's words for the category codes of the demo data (web/src/i18n.js `category.*`)
CATEGORY = {
    "nl": {"rail": "trein", "ferry": "veer", "hospital": "ziekenhuis", "gp": "huisarts",
           "outpatient_clinic": "polikliniek", "clinic": "kliniek", "supermarket": "supermarkt"},
    "en": {"rail": "train", "hospital": "hospital", "gp": "GP",
           "outpatient_clinic": "outpatient clinic", "clinic": "clinic"},
}  # fmt: skip


MISSING = {
    "nl": "Geen gegevens hier: dit criterium telt niet mee en de andere wegen zwaarder.",
    "en": "No data here: this criterion is left out and the others weigh more.",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The app on a free local port (in a thread), with a basemap nobody listens on: the page
    must cope without it. Yields the base URL."""
    port = _free_port()
    settings = settings.model_copy(
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
def base_url(demo_settings: Settings) -> Iterator[str]:
    with serving(demo_settings) as url:
        yield url


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
          half_hourly: { criterion: "transit", missing: false,
                         facts: { nearest: { ...stop, departures_per_hour: 2.5 } } },
          no_stop: { criterion: "transit", missing: false, facts: { nearest: null } },
          shop_inside: { criterion: "daily_needs", missing: false,
                         facts: { nearest: { name: "Ekoplaza", category: "supermarket",
                                             walk_m: 0, distance_m: 0 } } },
          care: { criterion: "care_distance", missing: false,
                  facts: { nearest: { name: "Rijnstate", category: "outpatient_clinic",
                                      walk_m: 8801, distance_m: 6770 } } },
          one: { criterion: "care_count", missing: false,
                 facts: { count: 1, radius_m: 1000, layer: "care" } },
          three: { criterion: "care_count", missing: false,
                   facts: { count: 3, radius_m: 1000, layer: "care" } },
          // a count of a layer the page has no words for: "facilities"
          generic: { criterion: "x", missing: false,
                     facts: { count: 3, radius_m: 12500, layer: "schools" } },
          zoning: { criterion: "zoning", missing: false,
                    facts: { zoning: { class: "wonen", name: "Wonen",
                                       plan: "NL.IMRO.0664.BPBS02-VG99" } } },
          zoning_named: { criterion: "zoning", missing: false,
                          facts: { zoning: { class: "recreatie", name: "Verblijfsrecreatie",
                                             plan: "NL.IMRO.1680.1800030105-0000" } } },
          zoning_no_plan: { criterion: "zoning", missing: false,
                            facts: { zoning: { class: "water", name: "Water", plan: null } } },
          zoning_plan: { criterion: "zoning", missing: false,
                         facts: { zoning: { class: "wonen", name: "Wonen",
                                            plan: "NL.IMRO.9999.BPdorp-VA01",
                                            plan_status: "vastgesteld",
                                            plan_date: "2014-03-01", overlay_factor: 0.4 },
                                  areas: [{ id: "zoning:g", name: "Leiding - Gas",
                                            category: "leiding", factor: 0.4 },
                                          { id: "zoning:k", name: "overige zone - kernzone",
                                            category: "overige zone", factor: 1 }] } },
          places: { criterion: "size", missing: false, facts: { places: 25 } },
          one_place: { criterion: "size", missing: false, facts: { places: 1 } },
          size_unknown: { criterion: "size", missing: false, facts: { places: null } },
          inside: { criterion: "natura2000", missing: false,
                    facts: { inside: true, area: { id: "n2k:57", name: "Veluwe" } } },
          outside: { criterion: "natura2000", missing: false,
                     facts: { inside: false, nearest: { id: "n2k:57", name: "Veluwe",
                              distance_m: 1500 }, search_radius_m: 5000 } },
          outside_far: { criterion: "natura2000", missing: false,
                         facts: { inside: false, area: null, nearest: null,
                                  search_radius_m: 1000 } },
          areas: { criterion: "constraints", missing: false,
                   facts: { areas: [
                     { id: "c:1", name: "Waterwingebied", category: "drinking_water" },
                     { id: "c:2", name: "Geluidszone" },
                   ] } },
          flood: { criterion: "constraints", missing: false,
                   facts: { areas: [{ id: "c:3", name: "Overstromingsgebied",
                                      category: "flood" }] } },
          no_areas: { criterion: "constraints", missing: false, facts: { areas: [] } },
          missing: { criterion: "zoning", missing: true, facts: null },
          // an old server sentence next to the facts is not read: the page words the facts
          sentence: { criterion: "size", missing: false, facts: { places: 25 },
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
    assert en["no_timetable"].endswith(", timetable unknown")
    assert nl["half_hourly"].endswith(", 2,5 vertrekken per uur")
    assert en["half_hourly"].endswith(", 2.5 departures per hour")
    assert (nl["no_stop"], en["no_stop"]) == ("Niets gevonden", "None found")
    # a real 0 m, not "?"
    assert nl["shop_inside"] == "Dichtstbijzijnde: Ekoplaza (supermarkt), 0 m lopen (geschat)"
    assert en["shop_inside"] == "Nearest: Ekoplaza (supermarket), 0 m walking (estimate)"
    assert nl["care"] == "Dichtstbijzijnde: Rijnstate (polikliniek), 8.801 m lopen (geschat)"
    assert en["care"] == "Nearest: Rijnstate (outpatient clinic), 8,801 m walking (estimate)"
    assert nl["one"] == "1 zorgvoorziening binnen 1.000 m"
    assert nl["three"] == "3 zorgvoorzieningen binnen 1.000 m"
    assert en["one"] == "1 care facility within 1,000 m"
    assert en["three"] == "3 care facilities within 1,000 m"
    assert nl["generic"] == "3 voorzieningen binnen 12.500 m"
    assert en["generic"] == "3 facilities within 12,500 m"
    assert nl["zoning"] == "Bestemming ‘Wonen’ in plan NL.IMRO.0664.BPBS02-VG99"
    assert en["zoning"] == "Zoned ‘Wonen’ in plan NL.IMRO.0664.BPBS02-VG99"
    assert nl["zoning_named"] == (
        "Bestemming ‘Verblijfsrecreatie (recreatie)’ in plan NL.IMRO.1680.1800030105-0000"
    )
    assert (nl["zoning_no_plan"], en["zoning_no_plan"]) == ("Bestemming ‘Water’", "Zoned ‘Water’")
    # the plan that decided, with its status and date, and the overlays with their factors
    assert nl["zoning_plan"] == (
        "Bestemming ‘Wonen’ in plan NL.IMRO.9999.BPdorp-VA01 (vastgesteld, 1 mrt 2014); Ligt in:"
        " Leiding - Gas (leiding) × 0,4 en overige zone - kernzone (overige zone)"
    )
    assert en["zoning_plan"] == (
        "Zoned ‘Wonen’ in plan NL.IMRO.9999.BPdorp-VA01 (vastgesteld, 1 Mar 2014); Lies in:"
        " Leiding - Gas (leiding) × 0.4 and overige zone - kernzone (overige zone)"
    )
    assert nl["places"] == "Geschat 25 plaatsen"
    assert en["places"] == "Estimated 25 places"
    assert (nl["one_place"], en["one_place"]) == ("Geschat 1 plaats", "Estimated 1 place")
    assert nl["size_unknown"] == "Aantal plaatsen onbekend"
    assert en["size_unknown"] == "Number of places unknown"
    assert (nl["inside"], en["inside"]) == ("Ligt in Veluwe", "Lies in Veluwe")
    assert nl["outside"] == "Ligt erbuiten; dichtstbijzijnde gebied: Veluwe op 1.500 m"
    assert en["outside"] == "Outside; nearest area: Veluwe at 1,500 m"
    assert nl["outside_far"] == "Ligt erbuiten; geen gebied binnen 1.000 m"
    assert en["outside_far"] == "Outside; no area within 1,000 m"
    # a category code without words of its own is shown with spaces
    assert nl["areas"] == "Ligt in: Waterwingebied (drinking water) en Geluidszone"
    assert en["areas"] == "Lies in: Waterwingebied (drinking water) and Geluidszone"
    assert nl["flood"] == "Ligt in: Overstromingsgebied (overstroming)"
    assert en["flood"] == "Lies in: Overstromingsgebied (flooding)"
    assert nl["no_areas"] == "Ligt in geen van deze gebieden"
    assert en["no_areas"] == "Lies in none of these areas"
    assert (nl["missing"], en["missing"]) == (MISSING["nl"], MISSING["en"])
    assert nl["reason"] == "Uitgesloten door: Natura 2000"
    assert en["reason"] == "Excluded by: Natura 2000"
    assert (nl["sentence"], en["sentence"]) == ("Geschat 25 plaatsen", "Estimated 25 places")
    assert not errors, errors
    page.close()


def _metres(m: float, lang: str) -> str:
    """Whole metres with the language's thousands separator: nl 1.163 m, en 1,163 m."""
    text = f"{round(m):,}"
    return (text.replace(",", ".") if lang == "nl" else text) + " m"


def _place(place: dict[str, Any], lang: str) -> str:
    """ "Ekoplaza (supermarkt)": a name with its category in words."""
    category = place.get("category")
    return (
        f"{place['name']} ({CATEGORY[lang].get(category, category)})" if category else place["name"]
    )


def _nearest(place: dict[str, Any], lang: str) -> str:
    """The page's words for a `nearest` fact with walking metres."""
    walk = _metres(place["walk_m"], lang)
    if lang == "nl":
        text = f"Dichtstbijzijnde: {_place(place, lang)}, {walk} lopen (geschat)"
    else:
        text = f"Nearest: {_place(place, lang)}, {walk} walking (estimate)"
    if "departures_per_hour" in place:
        assert place["departures_per_hour"] is None, "the demo stops have no timetable"
        text += ", dienstregeling onbekend" if lang == "nl" else ", timetable unknown"
    return text


def _shown_site(page: Any, base_url: str, site_id: str) -> dict[str, Any]:
    """Select ``site_id`` in the list (its municipality chosen, excluded sites shown) and
    return its API properties once the detail panel shows its breakdown."""
    from playwright.sync_api import expect

    response = page.request.get(f"{base_url}/api/sites/{site_id}")
    assert response.ok
    props: dict[str, Any] = response.json()["properties"]
    page.select_option("#filter-gemeente", props["gemeentecode"])
    _wait_for_list(page)
    page.click(f'#site-list .site-row[data-id="{site_id}"]')
    expect(page.locator("#detail-name")).to_have_text(props["name"])
    expect(page.locator("#detail .breakdown-row")).to_have_count(len(props["breakdown"]))
    return props


def _panel(page: Any) -> dict[str, Any]:
    """What the detail panel says: per criterion its explanation, the exclusion reasons, the
    nearest places and the estimated places."""
    words: dict[str, Any] = page.evaluate(
        """() => {
        const text = (el) => (el ? el.textContent.trim() : null);
        const panel = document.querySelector("#detail");
        return {
          items: Object.fromEntries([...panel.querySelectorAll(".breakdown-row")].map((row) =>
            [row.dataset.criterion, text(row.querySelector(".breakdown-explanation"))])),
          reasons: [...panel.querySelectorAll(".detail-reasons li")].map(text),
          nearest: Object.fromEntries([...panel.querySelectorAll(".detail-surroundings .kv")]
            .map((kv) => [kv.dataset.place, text(kv.querySelector("dd"))])),
          places: text(panel.querySelector('.detail-size [data-size="places"] dd')),
        };
    }"""
    )
    return words


def test_detail_panel_words_the_facts(
    browser: object, base_url: str, demo_settings: Settings
) -> None:
    """The detail panel words the API's facts of real demo sites in Dutch and English."""
    from sitefinder.core import db

    page, errors = _open_page(browser, base_url)
    _wait_for_list(page)
    page.check("#filter-excluded")
    # one demo site per case, in a municipality whose sites all fit in the list
    cases = {
        # an Amsterdam office with one care facility within 1 km, the nearest 1 km+ away
        "one": "s.kind = 'kantoor' AND r.care_n = 1 AND r.care_m * 1.3 >= 1000 AND r.cov_stops"
        " AND r.places > 1",
        "several": "r.care_n >= 2 AND r.places IS NULL AND NOT r.cov_stops",
        "inside": "r.natura2000_m = 0",
        "near": "r.natura2000_m > 0 AND r.natura2000_m < 1000",
        "zoned": "r.zoning_class IS NOT NULL AND r.natura2000_m IS NULL",
    }
    ids = {}
    with db.connection(demo_settings) as conn:
        for case, where in cases.items():
            # the municipality as the API gives it (computed, else the source's own)
            found = conn.execute(
                "WITH g AS (SELECT site_id, COALESCE(r.gemeentecode, s.gemeentecode) AS code"
                " FROM site s JOIN site_raw r ON r.site_id = s.id),"
                " n AS (SELECT code, count(*) AS n FROM g GROUP BY code)"
                " SELECT s.id FROM site s JOIN site_raw r ON r.site_id = s.id"
                " JOIN g ON g.site_id = s.id JOIN n ON n.code = g.code"
                f" WHERE n.n <= 100 AND {where} ORDER BY s.id LIMIT 1"
            ).fetchone()
            assert found, f"no demo site for case {case!r}: {where}"
            ids[case] = found["id"]

    def check(case: str, expected: Any) -> None:
        props = _shown_site(page, base_url, ids[case])
        facts = {b["criterion"]: b["facts"] for b in props["breakdown"]}
        for lang in ("nl", "en"):
            page.click(f"#lang-{lang}")
            page.wait_for_function(
                "lang => document.documentElement.lang === lang", arg=lang, timeout=5000
            )
            expected(_panel(page), facts, props, lang)
        page.click("#lang-nl")

    def one(panel: dict[str, Any], facts: Any, props: Any, lang: str) -> None:
        nl = lang == "nl"
        stop = facts["transit"]["nearest"]
        care = facts["care_distance"]["nearest"]
        shop = facts["daily_needs"]["nearest"]
        assert care["walk_m"] >= 1000  # a grouped number: 1.163 m / 1,163 m
        places = round(props["places"])
        by_lang = {
            "nl": {
                "care_count": "1 zorgvoorziening binnen 1.000 m",
                "size": f"Geschat {places} plaatsen",
                "natura2000": "Ligt erbuiten; geen gebied binnen 1.000 m",
                "constraints": "Ligt in geen van deze gebieden",
            },
            "en": {
                "care_count": "1 care facility within 1,000 m",
                "size": f"Estimated {places} places",
                "natura2000": "Outside; no area within 1,000 m",
                "constraints": "Lies in none of these areas",
            },
        }
        expected = {
            "transit": _nearest(stop, lang),
            "care_distance": _nearest(care, lang),
            "daily_needs": _nearest(shop, lang),
            "zoning": MISSING[lang],  # no zoning plans in Amsterdam's demo data
            **by_lang[lang],
        }
        assert {k: panel["items"][k] for k in expected} == expected
        # every other criterion of the catalogue (care per category, schools) is worded too
        assert set(panel["items"]) == set(facts) and all(panel["items"].values())
        assert panel["reasons"] == []
        # the nearest places: name, category in words and the walk (km with one decimal)
        km = f"{care['walk_m'] / 1000:.1f}".replace(".", "," if nl else ".")
        assert panel["nearest"]["care"] == f"{_place(care, lang)} · {km} km"
        assert panel["nearest"]["stop"].startswith(f"{_place(stop, lang)} · ")
        assert panel["nearest"]["supermarket"].startswith(f"{_place(shop, lang)} · ")

    def several(panel: dict[str, Any], facts: Any, props: Any, lang: str) -> None:
        n = facts["care_count"]["count"]
        assert panel["items"]["care_count"] == (
            f"{n} zorgvoorzieningen binnen 1.000 m" if lang == "nl"
            else f"{n} care facilities within 1,000 m"
        )  # fmt: skip
        # outside the local stop feeds: transit is the nearest railway station (national), and
        # the number of places is unknown
        stop = facts["transit"]["nearest"]
        assert stop["category"] == "rail"
        assert panel["items"]["transit"] == _nearest(stop, lang)
        assert panel["items"]["size"] == MISSING[lang]
        assert panel["nearest"]["stop"].startswith(f"{_place(stop, lang)} · ")
        assert panel["places"] == ("onbekend" if lang == "nl" else "unknown")

    def inside(panel: dict[str, Any], facts: Any, props: Any, lang: str) -> None:
        area = facts["natura2000"]["area"]["name"]
        assert props["reasons"][0] == {"criterion": "natura2000"}
        assert panel["reasons"][0] == (
            "Uitgesloten door: Natura 2000" if lang == "nl" else "Excluded by: Natura 2000"
        )
        assert panel["items"]["natura2000"] == (
            f"Ligt in {area}" if lang == "nl" else f"Lies in {area}"
        )

    def near(panel: dict[str, Any], facts: Any, props: Any, lang: str) -> None:
        area = facts["natura2000"]["nearest"]
        at = _metres(area["distance_m"], lang)
        assert panel["items"]["natura2000"] == (
            f"Ligt erbuiten; dichtstbijzijnde gebied: {area['name']} (Natura 2000) op {at}"
            if lang == "nl"
            else f"Outside; nearest area: {area['name']} (Natura 2000) at {at}"
        )
        assert panel["reasons"] == []

    def zoned(panel: dict[str, Any], facts: Any, props: Any, lang: str) -> None:
        zone = facts["zoning"]["zoning"]
        assert zone["plan"] and zone["name"]
        name = zone["name"]
        if zone["class"].lower() != name.lower():
            name = f"{name} ({zone['class']})"
        text = panel["items"]["zoning"]
        assert text.startswith(
            f"Bestemming ‘{name}’ in plan {zone['plan']}"
            if lang == "nl"
            else f"Zoned ‘{name}’ in plan {zone['plan']}"
        )
        if zone.get("plan_status"):  # the plan that decided, with its status
            assert f"in plan {zone['plan']} ({zone['plan_status']}, " in text
        for area in facts["zoning"].get("areas") or []:  # the overlays that count
            assert area["name"] in text and ("Ligt in:" if lang == "nl" else "Lies in:") in text

    for case, expected in (
        ("one", one), ("several", several), ("inside", inside), ("near", near), ("zoned", zoned),
    ):  # fmt: skip
        check(case, expected)
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
    # worded from the facts of /api/score like a stored site, in Dutch and English
    scored = response.value.json()["properties"]
    facts = {b["criterion"]: b["facts"] for b in scored["breakdown"]}
    assert facts["transit"], "the own site in Amsterdam lies outside the stops' coverage"
    n = facts["care_count"]["count"]
    for lang, care_count, size in (
        (
            "nl",
            f"{n} zorgvoorziening{'' if n == 1 else 'en'} binnen 1.000 m",
            "Geschat 30 plaatsen",
        ),
        ("en", f"{n} care facilit{'y' if n == 1 else 'ies'} within 1,000 m", "Estimated 30 places"),
    ):
        page.click(f"#lang-{lang}")
        page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)
        panel = _panel(page)
        assert panel["items"]["transit"] == _nearest(facts["transit"]["nearest"], lang)
        assert panel["items"]["care_count"] == care_count
        assert panel["items"]["size"] == size
        assert panel["items"]["zoning"] == MISSING[lang]
        place = _place(scored["nearest"]["supermarket"], lang)
        assert panel["nearest"]["supermarket"].startswith(f"{place} · ")
    page.click("#lang-nl")
    expect(page.locator(".adhoc-shape")).to_have_count(1)
    expect(page.locator("#adhoc-panel")).to_be_hidden()
    page.screenshot(path=str(output_dir / "own-site.png"))

    # closing the panel takes the own site off the map
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    expect(page.locator(".adhoc-shape")).to_have_count(0)
    assert not errors, errors
    page.close()


def test_range_and_completeness_in_list_map_and_detail(
    browser: object, base_url: str, output_dir: Path
) -> None:
    """Every score shows the range its missing data leave open; uncertain scores look so."""
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    _wait_for_list(page)
    # begeleid wonen weighs care per category, known only where an extract holds it: most sites
    # of the demo are known on less than 60 % of that profile's weight
    with page.expect_response(lambda r: "/api/sites?" in r.url and "begeleid_wonen" in r.url):
        page.select_option("#profile-select", "begeleid_wonen")
    _wait_for_list(page)
    rows = page.locator("#site-list .site-row")
    # a range bar in every scored row, its numbers as the API sent them, its words in the label
    bars = page.eval_on_selector_all(
        "#site-list .site-row:not(.is-excluded)",
        "rs => rs.map(r => { const b = r.querySelector('.range-bar');"
        " return b ? [r.dataset.id, +b.dataset.low, +b.dataset.high,"
        " r.classList.contains('is-uncertain'), r.getAttribute('aria-label')] : [r.dataset.id] })",
    )
    assert bars and all(len(b) == 5 for b in bars), bars[:3]
    assert all(low <= high for _, low, high, _, _ in bars)
    assert all(
        re.search(r"bereik \d,\d\d–\d,\d\d, \d+% van het gewicht bekend", b[4]) for b in bars
    )
    uncertain = [b for b in bars if b[3]]
    assert uncertain and "onzeker" in uncertain[0][4]
    # solid first: the first rows are not uncertain (the cautious ranking)
    assert not any(b[3] for b in bars[:10])
    assert page.locator(".site-marker.is-uncertain").count() > 0
    expect(page.locator("#legend .legend-uncertain")).to_be_visible()
    # "!" only where there is something to check, not on every row
    assert page.locator("#site-list .row-check").count() < rows.count() // 2

    rows.first.click()
    expect(page.locator("#detail .breakdown-row").first).to_be_visible(timeout=10000)
    expect(page.locator("#detail .detail-range .range-bar")).to_be_visible()
    expect(page.locator("#detail-range-text")).to_have_text(
        re.compile(r"^Bereik \d,\d\d–\d,\d\d: \d+% van het gewicht heeft gegevens")
    )
    page.screenshot(path=str(output_dir / "range-detail.png"))

    # ranking by the point score puts a thinly known site first; the detail follows
    with page.expect_response(lambda r: "/api/sites?" in r.url and "rank_by=score" in r.url):
        page.select_option("#filter-rank-by", "score")
    _wait_for_list(page)
    expect(rows.first).to_have_class(re.compile(r"is-uncertain"))
    rows.first.click()
    expect(page.locator("#detail .detail-range-note")).to_be_visible(timeout=10000)
    expect(page.locator("#detail .score-rank")).to_have_text(re.compile(r"rang 1 van"))

    # only sites with at least 60 % of the weight known
    page.select_option("#filter-rank-by", "conservative")
    with page.expect_response(lambda r: "min_completeness=0.60" in r.url):
        page.locator("#filter-min-completeness").fill("0.6")
    _wait_for_list(page)
    assert page.locator("#site-list .site-row.is-uncertain").count() == 0

    page.click("#lang-en")
    expect(page.locator("#detail-range-text")).to_have_text(re.compile(r"^Range \d\.\d\d–\d\.\d\d"))
    assert not errors, errors
    page.close()


def test_office_vacancy_and_site_checks(browser: object, base_url: str) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    _wait_for_list(page)
    with page.expect_response(lambda r: "vacancy=leeg" in r.url):
        page.select_option("#filter-vacancy", "leeg")
    _wait_for_list(page)
    rows = page.locator("#site-list .site-row")
    expect(rows).to_have_count(4)
    assert page.locator("#site-list .row-vacancy.is-leeg").count() == 4
    assert "leeg sinds" in (rows.first.get_attribute("aria-label") or "")
    rows.first.click()
    vacancy = page.locator("#detail .detail-vacancy")
    expect(vacancy).to_be_visible(timeout=10000)
    expect(vacancy.locator('[data-vacancy="gemeente"] dd')).to_contain_text("284.550 m²")
    page.click("#filter-reset")

    # a campsite just outside the municipal boundary (Zeewolde): marked "!" and explained
    page.select_option("#filter-gemeente", "GM0050")
    _wait_for_list(page)
    row = page.locator('#site-list .site-row[data-id="holidayparks:osm:way/813665566"]')
    expect(row.locator(".row-check")).to_be_visible()
    row.click()
    expect(page.locator("#detail .detail-checks")).to_contain_text("9 m van Zeewolde")
    assert not errors, errors
    page.close()


def test_own_site_range_and_fill_in(browser: object, base_url: str, output_dir: Path) -> None:
    from playwright.sync_api import expect

    page, errors = _open_page(browser, base_url)
    page.select_option("#filter-gemeente", "GM0363")
    _wait_for_list(page)
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.click("#adhoc-start")
    page.check("#adhoc-mode-point")
    with page.expect_response(lambda r: "/api/score" in r.url) as first:
        page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    unknown = first.value.json()["properties"]
    assert unknown["fill_in"] == ["places", "floor_area_m2"]
    fill = page.locator("#adhoc-fill")
    expect(fill).to_be_visible(timeout=10000)
    expect(page.locator("#detail-range-text")).to_contain_text("Omvang")  # unknown: the size
    page.screenshot(path=str(output_dir / "own-site-fill-in.png"))

    page.fill("#adhoc-fill-floor", "610")
    with page.expect_response(lambda r: "/api/score" in r.url) as second:
        page.click("#adhoc-rescore")
    assert second.value.request.post_data_json["floor_area_m2"] == 610
    known = second.value.json()["properties"]
    assert known["places"] == 24 and known["fill_in"] == []
    assert known["score_high"] - known["score_low"] < unknown["score_high"] - unknown["score_low"]
    expect(page.locator("#detail-range-text")).not_to_contain_text("Omvang", timeout=10000)
    expect(page.locator("#adhoc-fill-floor")).to_have_value("610")
    assert not errors, errors
    page.close()


VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.mark.parametrize("path", ["/", "/docs", "/redoc"])
def test_the_security_policy_blocks_nothing_the_pages_need(
    browser: object, base_url: str, path: str
) -> None:
    """The CSP (issue 9) lets the map and the API docs load all they use, from their origin."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.add_init_script(VIOLATIONS)
    response = page.goto(base_url + path)
    assert (
        response is not None
        and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    )
    if path == "/":
        _wait_for_list(page)
        expect(page.locator(".leaflet-marker-pane, .leaflet-overlay-pane").first).to_be_attached()
    elif path == "/docs":
        expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15000)
    else:  # ReDoc: the operations listed in its menu
        expect(page.locator("[role=menuitem]").first).to_be_visible(timeout=30000)
    blocked = page.evaluate("window.__csp")
    if path == "/redoc":  # its "API docs by Redocly" logo comes from its CDN: kept out
        blocked = [b for b in blocked if b != "img-src https://cdn.redoc.ly/redoc/logo-mini.svg"]
    assert blocked == []
    page.close()
