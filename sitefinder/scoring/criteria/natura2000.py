"""Criterion ``natura2000``: whether the site lies inside a Natura 2000 area (then excluded).

The straight-line distance (metres, EPSG:28992) to the nearest area, searched within
``SEARCH_RADIUS_M`` only (NULL: farther), 0 inside. Only inside/outside counts for the score;
the distance explains it, and searching farther around huge areas is what made this criterion
slow at a million sites. Areas are read as ``ST_Subdivide`` parts.
"""

from __future__ import annotations

import numpy as np

from sitefinder.scoring.base import (
    Columns,
    Facts,
    LayerUse,
    Names,
    Params,
    Raw,
    RawColumn,
    Row,
    Valued,
    feature,
    nearest_fact,
    number,
)
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import Layers, Sites, nearest_columns

SEARCH_RADIUS_M = 1000.0


def compute(layers: Layers, sites: Sites) -> Columns:
    areas = layers.get("natura2000", parts=True)
    return nearest_columns("natura2000", areas, sites, cap_only=SEARCH_RADIUS_M)


def value(raw: Raw, params: Params) -> Valued:
    inside = raw.floats("natura2000_m") == 0  # NaN (farther than the radius): outside
    return Valued(np.where(inside, 0.0, 1.0), inside & bool(params["exclude"]))


def reading(row: Row, params: Params) -> float | None:
    return number(row.get("natura2000_m"))


def facts(row: Row, params: Params, names: Names) -> Facts:
    if number(row.get("natura2000_m")) == 0:
        return {"inside": True, "area": feature(names, row.get("natura2000_id"))}
    return {
        "inside": False,
        "area": None,
        "nearest": nearest_fact(names, row.get("natura2000_id"), row.get("natura2000_m")),
        "search_radius_m": round(SEARCH_RADIUS_M),
    }


CRITERION = Criterion(
    name="natura2000",
    title_nl="Natura 2000",
    title_en="Natura 2000",
    unit="m",
    order=70,
    constraint=True,
    columns=(
        RawColumn("natura2000_id", "id", None, "the nearest Natura 2000 area within the radius"),
        RawColumn(
            "natura2000_m",
            "float",
            "m",
            "distance to it; 0 inside; NULL: farther",
            reach_m=SEARCH_RADIUS_M,
        ),
    ),
    reads=(LayerUse("natura2000", parts=True),),
    coverage="natura2000",
    compute=compute,
    defaults={"weight": 0.0, "exclude": True},
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("inside", "area", "nearest", "search_radius_m"),
)
