"""Explanations: a site's score breakdown with raw values, units and words (Dutch and English)."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from sitefinder.scoring import CRITERIA, NDArray, Profile, piecewise
from sitefinder.scoring.compute import id_list
from sitefinder.scoring.engine import Evaluation, breakdown

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


def feature_names(conn: psycopg.Connection[Any], raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Name and category of the features a site's raw criteria point at (by id, one query)."""
    keys = (
        "stop_local_id",
        "stop_rail_id",
        "care_id",
        "supermarket_id",
        "zoning_id",
        "natura2000_id",
    )
    ids = [raw[k] for k in keys if isinstance(raw.get(k), str)]
    ids += id_list(raw.get("constraint_ids"))
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT id, name, category, NULL AS code FROM poi WHERE id = ANY(%(ids)s)"
        " UNION ALL SELECT id, name, category, code FROM area WHERE id = ANY(%(ids)s)",
        {"ids": ids},
    ).fetchall()
    return {row["id"]: row for row in rows}


def _m(metres: float | None, lang: str = "nl") -> str:
    """Metres as text: 1.234 m in Dutch, 1,234 m in English."""
    if metres is None or np.isnan(metres):
        return "?"
    text = f"{round(metres):,} m"
    return text.replace(",", ".") if lang == "nl" else text


def _float(value: Any) -> float:
    """A raw value as float; None and missing become NaN (0 stays 0)."""
    return np.nan if value is None else float(value)


def _mode(category: str | None) -> str:
    return MODE_NL.get(category or "", category or "")


def transit_choice(raw: dict[str, Any], profile: Profile) -> tuple[str | None, float | None]:
    """Which stop gave the transit value (the better of local and rail) and its walking metres."""
    det = profile.detour_factor
    best: tuple[float, str | None, float | None] = (-1.0, None, None)
    for prefix, key in (("stop_local", "local_breakpoints"), ("stop_rail", "rail_breakpoints")):
        metres = raw.get(f"{prefix}_m")
        if metres is None or np.isnan(metres):
            continue
        value = float(piecewise(metres * det, *profile.breakpoints("transit", key)))
        if value > best[0]:
            best = (value, raw.get(f"{prefix}_id"), metres * det)
    return best[1], best[2]


def explain(
    profile: Profile,
    weights: NDArray,
    evaluation: Evaluation,
    i: int,
    raw: dict[str, Any],
    names: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Breakdown of site ``i`` with titles, raw values, units, explanations and nearest places."""
    det = profile.detour_factor
    items = breakdown(evaluation, i, weights)
    stop_id, stop_walk = transit_choice(raw, profile)
    stop = names.get(stop_id or "", {})
    care = names.get(raw.get("care_id") or "", {})
    shop = names.get(raw.get("supermarket_id") or "", {})
    zoning = names.get(raw.get("zoning_id") or "", {})
    n2k = names.get(raw.get("natura2000_id") or "", {})
    care_walk = _float(raw.get("care_m")) * det
    n_care = int(raw.get("care_n") or 0)
    shop_walk = _float(raw.get("supermarket_m")) * det
    dph = (
        raw.get("stop_rail_dph")
        if stop_id == raw.get("stop_rail_id")
        else raw.get("stop_local_dph")
    )
    service_nl = (
        f", {dph:.0f} vertrekken per uur"
        if dph is not None and not np.isnan(dph)
        else ", dienstregeling onbekend"
    )
    service_en = (
        f", {dph:.0f} departures per hour"
        if dph is not None and not np.isnan(dph)
        else ", timetable unknown"
    )
    hits = id_list(raw.get("constraint_ids"))
    constraint_names = [names.get(c, {}).get("name") or c for c in hits]
    words: dict[str, tuple[Any, dict[str, str]]] = {
        "transit": (
            stop_walk,
            {
                "nl": f"Dichtstbijzijnde halte: {stop.get('name')} "
                f"({_mode(stop.get('category'))}), {_m(stop_walk)} lopen (geschat){service_nl}",
                "en": f"Nearest stop: {stop.get('name')} ({stop.get('category')}), "
                f"{_m(stop_walk, 'en')} walking (estimate){service_en}",
            },
        ),
        "care_distance": (
            care_walk,
            {
                "nl": f"Dichtstbijzijnde zorg: {care.get('name')} ({_mode(care.get('category'))}),"
                f" {_m(care_walk)} lopen (geschat)",
                "en": f"Nearest care: {care.get('name')} "
                f"({(care.get('category') or '').replace('_', ' ')}), "
                f"{_m(care_walk, 'en')} walking",
            },
        ),
        "care_count": (
            raw.get("care_n"),
            {
                "nl": f"{n_care} zorgvoorziening{'' if n_care == 1 else 'en'} binnen 1.000 m",
                "en": f"{n_care} care facilit{'y' if n_care == 1 else 'ies'} within 1,000 m",
            },
        ),
        "daily_needs": (
            shop_walk,
            {
                "nl": f"Dichtstbijzijnde supermarkt: {shop.get('name')}, {_m(shop_walk)} lopen",
                "en": f"Nearest supermarket: {shop.get('name')}, {_m(shop_walk, 'en')} walking",
            },
        ),
        "zoning": (
            raw.get("zoning_class"),
            {
                "nl": f"Bestemming '{raw.get('zoning_class')}' ({zoning.get('name')}) in plan "
                f"{zoning.get('code')}",
                "en": f"Zoned '{raw.get('zoning_class')}' ({zoning.get('name')}) in plan "
                f"{zoning.get('code')}",
            },
        ),
        "size": (
            raw.get("places"),
            {
                "nl": f"Geschat {raw.get('places') or 0:.0f} plaatsen",
                "en": f"Estimated {raw.get('places') or 0:.0f} places",
            },
        ),
        "natura2000": (
            raw.get("natura2000_m"),
            {
                "nl": f"Ligt in Natura 2000-gebied {n2k.get('name')}",
                "en": f"Inside Natura 2000 area {n2k.get('name')}",
            }
            if raw.get("natura2000_m") == 0
            else {
                "nl": f"Buiten Natura 2000; dichtstbij: {n2k.get('name')} op "
                f"{_m(raw.get('natura2000_m'))}",
                "en": f"Outside Natura 2000; nearest: {n2k.get('name')} at "
                f"{_m(raw.get('natura2000_m'), 'en')}",
            }
            if n2k
            else {
                "nl": "Buiten Natura 2000 (geen gebied binnen 1 km)",
                "en": "Outside Natura 2000 (no area within 1 km)",
            },
        ),
        "constraints": (
            len(constraint_names),
            {
                "nl": "Ligt in: " + ", ".join(constraint_names),
                "en": "Lies in: " + ", ".join(constraint_names),
            }
            if constraint_names
            else {"nl": "Geen overige beperkingen", "en": "No other constraints"},
        ),
    }
    for item in items:
        crit = CRITERIA[item["criterion"]]
        raw_value, text = words[item["criterion"]]
        item["title"] = {"nl": crit.title_nl, "en": crit.title_en}
        item["unit"] = crit.unit
        if isinstance(raw_value, np.generic):
            raw_value = raw_value.item()
        if isinstance(raw_value, float) and np.isnan(raw_value):
            raw_value = None
        item["raw"] = (
            None
            if item["missing"]
            else (round(raw_value, 1) if isinstance(raw_value, float) else raw_value)
        )
        item["explanation"] = NO_DATA if item["missing"] else text
    reasons = [item["explanation"] for item in items if item["excluded"]]

    def near(fid: str | None, walk: float | None) -> dict[str, Any] | None:
        feature = names.get(fid or "")
        if not feature or walk is None or np.isnan(walk):
            return None
        return {"name": feature["name"], "category": feature["category"], "distance_m": round(walk)}

    return {
        "breakdown": items,
        "reasons": reasons,
        "nearest_stop": near(stop_id, stop_walk) if evaluation.present[i, 0] else None,
        "nearest_care": near(raw.get("care_id"), care_walk),
        "nearest_supermarket": near(raw.get("supermarket_id"), shop_walk),
    }
