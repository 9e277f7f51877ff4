"""Explanations as facts: a site's score breakdown with raw values, units, names and numbers.

Each criterion says what explains its value (``Criterion.facts``: numbers, names, codes and
units, no sentences; FACTS.md); the page words and formats them per language. Distances in
facts are rounded metres: ``distance_m`` straight line (EPSG:28992), ``walk_m`` that times the
profile's detour factor.

``legacy_sentences`` (marked LEGACY below) still builds the old Dutch/English sentences from
the facts for the map page until it words the facts itself; then it goes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from sitefinder.scoring.base import Facts, Names, NDArray, id_list, number
from sitefinder.scoring.criteria import catalogue, raw_columns
from sitefinder.scoring.engine import Evaluation, breakdown
from sitefinder.scoring.profile import Profile

# properties.nearest: the summary of the nearest places, from these criteria's ``nearest`` fact
NEAREST = {"stop": "transit", "care": "care_distance", "supermarket": "daily_needs"}


def feature_ids(raw: dict[str, Any]) -> list[str]:
    """The ids of the features (poi, area) a site's raw columns point at."""
    ids: list[str] = []
    for column in raw_columns():
        if column.type == "id" and isinstance(raw.get(column.name), str):
            ids.append(raw[column.name])
        elif column.type == "ids":
            ids += id_list(raw.get(column.name))
    return list(dict.fromkeys(ids))


def feature_names(conn: psycopg.Connection[Any], raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Name, category and code of the features a site's raw columns point at, with where each
    comes from: ``source`` (the source key of its row) and ``as_of`` (the data date of the
    last good ETL run that loaded that source into its layer). One query."""
    ids = feature_ids(raw)
    if not ids:
        return {}
    rows = conn.execute(
        "WITH f AS (SELECT id, layer, name, category, NULL AS code, source FROM poi"
        "  WHERE id = ANY(%(ids)s) UNION ALL"
        "  SELECT id, layer, name, category, code, source FROM area WHERE id = ANY(%(ids)s))"
        " SELECT f.id, f.name, f.category, f.code, f.source, r.data_as_of AS as_of FROM f"
        " LEFT JOIN LATERAL (SELECT data_as_of FROM etl_run WHERE status = 'ok'"
        "  AND layer = f.layer AND source = f.source ORDER BY id DESC LIMIT 1) r ON true",
        {"ids": ids},
    ).fetchall()
    return {row["id"]: row for row in rows}


def _plain(value: Any) -> Any:
    """A raw reading as JSON: numpy scalars as Python, NaN as None, floats to 0.1."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if np.isnan(value) else round(value, 1)
    return value


def explain(
    profile: Profile,
    weights: NDArray,
    evaluation: Evaluation,
    i: int,
    raw: dict[str, Any],
    names: Names,
) -> dict[str, Any]:
    """Breakdown of site ``i`` (one item per criterion, catalogue order) with facts, the
    exclusion reasons and the nearest places."""
    known = catalogue()
    items = breakdown(evaluation, i, weights)
    found: dict[str, Facts] = {}
    for item in items:
        criterion = known[item["criterion"]]
        params = profile.params(criterion.name)
        facts = None if item["missing"] else criterion.facts(raw, params, names)
        if facts is not None:
            found[criterion.name] = facts
        item["title"] = {"nl": criterion.title_nl, "en": criterion.title_en}
        item["unit"] = criterion.unit
        item["raw"] = None if item["missing"] else _plain(criterion.reading(raw, params))
        item["facts"] = facts
        item["explanation"] = legacy_sentences(item)  # LEGACY: until the page words facts
    nearest = {key: found.get(name, {}).get("nearest") for key, name in NEAREST.items()}
    return {
        "breakdown": items,
        "reasons": exclusion_reasons(evaluation, i),
        "nearest": nearest,
        # LEGACY: the page's "surroundings" list reads these (distance_m = walking metres)
        **{f"nearest_{key}": legacy_nearest(place) for key, place in nearest.items()},
    }


def exclusion_reasons(evaluation: Evaluation, i: int) -> list[dict[str, str]]:
    """``[{"criterion": name}]`` for each criterion that excludes site ``i``.

    LEGACY: each also carries the words ``nl``/``en`` ("Uitgesloten door: <title>") that the
    page shows today.
    """
    known = catalogue()
    return [
        {
            "criterion": name,
            "nl": f"Uitgesloten door: {known[name].title_nl}",
            "en": f"Excluded by: {known[name].title_en}",
        }
        for name in evaluation.reasons(i)
    ]


# ---------------------------------------------------------------------------------------------
# LEGACY: server-built sentences, worded from the facts, for the map page of today. When the page
# words the facts itself (web/app.js, i18n), delete from here to the end of the file and the
# two LEGACY lines in ``explain``.

MODE_NL = {
    "rail": "trein",
    "metro": "metro",
    "tram": "tram",
    "bus": "bus",
    "ferry": "veer",
    "hospital": "ziekenhuis",
    "outpatient_clinic": "polikliniek",
    "supermarket": "supermarkt",
}
NO_DATA = {
    "nl": "Geen gegevens hier: dit criterium telt niet mee en de andere wegen zwaarder.",
    "en": "No data here: this criterion is left out and the others weigh more.",
}


def _m(metres: Any, lang: str = "nl") -> str:
    """Metres as text: 1.234 m in Dutch, 1,234 m in English."""
    value = number(metres)
    if value is None:
        return "?"
    text = f"{round(value):,} m"
    return text.replace(",", ".") if lang == "nl" else text


def legacy_nearest(place: dict[str, Any] | None) -> dict[str, Any] | None:
    """LEGACY ``nearest_stop``/``nearest_care``/``nearest_supermarket``: walking metres."""
    if place is None:
        return None
    return {"name": place["name"], "category": place["category"], "distance_m": place["walk_m"]}


def _nearest_words(item: dict[str, Any], near: dict[str, Any] | None) -> dict[str, str]:
    place = near or {}
    name, category, walk = place.get("name"), place.get("category"), place.get("walk_m")
    mode_nl, mode_en = MODE_NL.get(category or "", category or ""), category or ""
    if item["criterion"] == "transit":
        dph = place.get("departures_per_hour")
        known = dph is not None
        return {
            "nl": f"Dichtstbijzijnde halte: {name} ({mode_nl}), {_m(walk)} lopen (geschat)"
            + (f", {dph:.0f} vertrekken per uur" if known else ", dienstregeling onbekend"),
            "en": f"Nearest stop: {name} ({mode_en}), {_m(walk, 'en')} walking (estimate)"
            + (f", {dph:.0f} departures per hour" if known else ", timetable unknown"),
        }
    if item["criterion"] == "care_distance":
        return {
            "nl": f"Dichtstbijzijnde zorg: {name} ({mode_nl}), {_m(walk)} lopen (geschat)",
            "en": f"Nearest care: {name} ({mode_en.replace('_', ' ')}), {_m(walk, 'en')} walking",
        }
    if item["criterion"] == "daily_needs":
        return {
            "nl": f"Dichtstbijzijnde supermarkt: {name}, {_m(walk)} lopen",
            "en": f"Nearest supermarket: {name}, {_m(walk, 'en')} walking",
        }
    title = item["title"]
    return {
        "nl": f"{title['nl']}: dichtstbij {name}, {_m(walk)} lopen (geschat)",
        "en": f"{title['en']}: nearest {name}, {_m(walk, 'en')} walking (estimate)",
    }


def legacy_sentences(item: dict[str, Any]) -> dict[str, str]:
    """LEGACY: the Dutch and English sentence of one breakdown item, worded from its facts."""
    facts = item["facts"]
    if item["missing"] or facts is None:
        return NO_DATA
    if "nearest" in facts and "inside" not in facts:
        return _nearest_words(item, facts["nearest"])
    if "count" in facts:
        n = facts["count"] or 0
        return {
            "nl": f"{n} zorgvoorziening{'' if n == 1 else 'en'} binnen {_m(facts['radius_m'])}",
            "en": f"{n} care facilit{'y' if n == 1 else 'ies'} within "
            f"{_m(facts['radius_m'], 'en')}",
        }
    if "zoning" in facts:
        zone = facts["zoning"] or {}
        text = f"'{zone.get('class')}' ({zone.get('name')}) in plan {zone.get('plan')}"
        return {"nl": f"Bestemming {text}", "en": f"Zoned {text}"}
    if "places" in facts:
        places = facts["places"] or 0
        return {"nl": f"Geschat {places:.0f} plaatsen", "en": f"Estimated {places:.0f} places"}
    if "inside" in facts:
        if facts["inside"]:
            area = (facts.get("area") or {}).get("name")
            return {
                "nl": f"Ligt in Natura 2000-gebied {area}",
                "en": f"Inside Natura 2000 area {area}",
            }
        near = facts.get("nearest")
        if near:
            return {
                "nl": f"Buiten Natura 2000; dichtstbij: {near['name']} op {_m(near['distance_m'])}",
                "en": f"Outside Natura 2000; nearest: {near['name']} at "
                f"{_m(near['distance_m'], 'en')}",
            }
        radius = f"{facts['search_radius_m'] / 1000:g} km"
        return {
            "nl": f"Buiten Natura 2000 (geen gebied binnen {radius})",
            "en": f"Outside Natura 2000 (no area within {radius})",
        }
    if "areas" in facts:
        hits = [area.get("name") or area["id"] for area in facts["areas"]]
        if not hits:
            return {"nl": "Geen overige beperkingen", "en": "No other constraints"}
        return {"nl": "Ligt in: " + ", ".join(hits), "en": "Lies in: " + ", ".join(hits)}
    raw = "" if item["raw"] is None else f" {item['raw']} {item['unit']}"
    return {"nl": f"{item['title']['nl']}:{raw}", "en": f"{item['title']['en']}:{raw}"}
