"""Explanations: the score breakdown of one site in words (Dutch and English)."""

from __future__ import annotations

from typing import Any

from sitefinder.scoring import CRITERIA

MODE_NL = {
    "rail": "trein",
    "metro": "metro",
    "tram": "tram",
    "bus": "bus",
    "ferry": "veer",
    "hospital": "ziekenhuis",
    "outpatient_clinic": "polikliniek",
}


def _distance(detail: dict[str, Any]) -> str:
    return f"{round(float(detail.get('distance_m') or 0)):,} m".replace(",", ".")


def explanation(criterion: str, raw: Any, detail: dict[str, Any], missing: bool) -> dict[str, str]:
    if missing:
        return {
            "nl": "Geen gegevens hier: dit criterium telt niet mee en de andere wegen zwaarder.",
            "en": "No data here: this criterion is left out and the others weigh more.",
        }
    name = detail.get("name") or "?"
    category = detail.get("category") or ""
    if criterion == "transit":
        return {
            "nl": f"Dichtstbijzijnde halte: {name} ({MODE_NL.get(category, category)}), "
            f"{_distance(detail)} lopen (geschat)",
            "en": f"Nearest stop: {name} ({category}), {_distance(detail)} walking (estimate)",
        }
    if criterion == "care_distance":
        return {
            "nl": f"Dichtstbijzijnde zorg: {name} ({MODE_NL.get(category, category)}), "
            f"{_distance(detail)} lopen (geschat)",
            "en": f"Nearest care: {name} ({category.replace('_', ' ')}), "
            f"{_distance(detail)} walking (estimate)",
        }
    if criterion == "care_count":
        n = int(raw or 0)
        radius = round(float(detail.get("radius_m") or 1000))
        return {
            "nl": f"{n} zorgvoorziening(en) binnen {radius} m",
            "en": f"{n} care facilit{'y' if n == 1 else 'ies'} within {radius} m",
        }
    if criterion == "zoning":
        plan = detail.get("plan") or ""
        return {
            "nl": f"Bestemming '{detail.get('category')}' ({name}) in plan {plan}",
            "en": f"Zoned '{detail.get('category')}' ({name}) in plan {plan}",
        }
    if criterion == "natura2000":
        if raw is not None and float(raw) == 0:
            return {"nl": f"Ligt in Natura 2000-gebied {name}", "en": f"Inside Natura 2000 {name}"}
        return {
            "nl": f"Buiten Natura 2000; dichtstbij: {name} op {_distance(detail)}",
            "en": f"Outside Natura 2000; nearest: {name} at {_distance(detail)}",
        }
    return {"nl": "", "en": ""}


def _nearest(breakdown: list[dict[str, Any]], criterion: str) -> dict[str, Any] | None:
    for item in breakdown:
        if item["criterion"] == criterion and not item["missing"]:
            d = item["detail"]
            return {
                "name": d.get("name"),
                "category": d.get("category"),
                "distance_m": d.get("distance_m"),
            }
    return None


def explain_site(feature: dict[str, Any]) -> dict[str, Any]:
    """Add titles, units and explanations to a site feature's breakdown (in place)."""
    props = feature["properties"]
    breakdown: list[dict[str, Any]] = props.get("breakdown") or []
    for item in breakdown:
        criterion = CRITERIA[item["criterion"]]
        item["title"] = {"nl": criterion.title_nl, "en": criterion.title_en}
        item["unit"] = criterion.unit
        if item["criterion"] == "zoning" and not item["missing"]:
            item["raw"] = item["detail"].get("category")
        item["explanation"] = explanation(
            item["criterion"], item["raw"], item["detail"], bool(item["missing"])
        )
    order = list(CRITERIA)
    breakdown.sort(key=lambda item: order.index(item["criterion"]))
    props["nearest_stop"] = _nearest(breakdown, "transit")
    props["nearest_care"] = _nearest(breakdown, "care_distance")
    return feature
