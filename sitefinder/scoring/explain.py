"""Explanations as facts: a site's score breakdown with raw values, units, names and numbers.

Each criterion says what explains its value (``Criterion.facts``: numbers, names, codes and
units, no sentences; FACTS.md); the page words and formats them per language. Distances in
facts are rounded metres: ``distance_m`` straight line (EPSG:28992), ``walk_m`` that times the
profile's detour factor. Titles and units of the criteria are in ``GET /api/profiles``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from sitefinder.scoring.base import Facts, Names, NDArray, id_list
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
    """Name, category, code and props of the features a site's raw columns point at (a
    criterion's facts may name a prop, e.g. the status of the deciding zoning plan), with where
    each comes from: ``source`` (the source key of its row) and ``as_of`` (the data date of the
    last good ETL run that loaded that source into its layer). One query."""
    ids = feature_ids(raw)
    if not ids:
        return {}
    rows = conn.execute(
        "WITH f AS (SELECT id, layer, name, category, NULL AS code, source, props FROM poi"
        "  WHERE id = ANY(%(ids)s) UNION ALL"
        "  SELECT id, layer, name, category, code, source, props FROM area WHERE id = ANY(%(ids)s))"
        " SELECT f.id, f.name, f.category, f.code, f.source, f.props, r.data_as_of AS as_of FROM f"
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
        item["unit"] = criterion.unit
        item["raw"] = None if item["missing"] else _plain(criterion.reading(raw, params))
        item["facts"] = facts
    nearest = {key: found.get(name, {}).get("nearest") for key, name in NEAREST.items()}
    return {
        "breakdown": items,
        "reasons": exclusion_reasons(evaluation, i),
        "nearest": nearest,
    }


def exclusion_reasons(evaluation: Evaluation, i: int) -> list[dict[str, str]]:
    """``[{"criterion": name}]`` for each criterion that excludes site ``i`` (catalogue order);
    the page words them with the criterion's title."""
    return [{"criterion": name} for name in evaluation.reasons(i)]
