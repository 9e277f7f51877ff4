"""What the data says about a site for its conversion, beside the score; unknowns said so.

* ``area_m2``: the site's own area (m², EPSG:28992), known for polygons only;
* ``pitches`` / ``chalets``: from the source's attributes where a source gives them (OSM
  ``capacity:pitches`` / ``capacity``, ``capacity:cabins``; a province register's
  ``aantal_plaatsen`` / ``aantal_recreatiewoningen``), else unknown;
* ``zoning``: the zoning class found at the site (``recreatie`` …), unknown outside the zoning
  layer's coverage;
* ``natura2000``: inside an area or not (and the distance, metres, within the criterion's
  search radius), unknown outside the layer's coverage;
* ``village_core_m``: the distance to the nearest village core is unknown: no layer of village
  cores (CBS bevolkingskernen) is loaded; the nearest supermarket (metres, straight line) is
  given as what the data has.

The values come from the site row and its raw criteria (``site_raw``, read as one JSON object
so a criterion that is not in the catalogue leaves its fact unknown instead of failing).
"""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

PITCH_KEYS = ("capacity:pitches", "aantal_plaatsen", "capacity")
CHALET_KEYS = ("capacity:cabins", "aantal_recreatiewoningen", "cabins")


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _first_number(props: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    for key in keys:
        number = _number(props.get(key))
        if number is not None:
            return {"value": number, "source": key}
    return {"value": None, "source": None}


def park_facts(conn: Conn, site_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT s.area_m2, s.props, to_jsonb(r) AS raw FROM site s"
        " LEFT JOIN site_raw r ON r.site_id = s.id WHERE s.id = %s",
        (site_id,),
    ).fetchone()
    if row is None:
        return None
    props = row["props"] or {}
    raw = row["raw"] or {}
    zoning_known = raw.get("cov_zoning") is True
    natura_known = raw.get("cov_natura2000") is True
    natura_m = _number(raw.get("natura2000_m"))
    return {
        "area_m2": _number(row["area_m2"]),
        "pitches": _first_number(props, PITCH_KEYS),
        "chalets": _first_number(props, CHALET_KEYS),
        "zoning": {
            "known": zoning_known,
            "class": raw.get("zoning_class") if zoning_known else None,
            "recreatie": (raw.get("zoning_class") == "recreatie") if zoning_known else None,
        },
        "natura2000": {
            "known": natura_known,
            "inside": (natura_m == 0) if natura_known else None,
            "distance_m": natura_m if natura_known else None,
        },
        "village_core_m": None,
        "nearest_supermarket_m": _number(raw.get("supermarket_m")),
    }
