"""Criterion ``care_count``: how many care facilities lie within 1,000 m (straight line).

Counted for every site at once (k-d tree neighbours within the radius for point sites, an
STRtree ``dwithin`` query for polygons), EPSG:28992 metres; inclusive at exactly the radius.
The facts name the layer counted, so the page can say what it counted ("3 zorgvoorzieningen").
"""

from __future__ import annotations

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
    number,
    piecewise,
)
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import Layers, Sites, count_within

LAYER = "care"
RADIUS_M = 1000.0


def compute(layers: Layers, sites: Sites) -> Columns:
    return {"care_n": count_within(layers.get(LAYER), sites, RADIUS_M)}


def value(raw: Raw, params: Params) -> Valued:
    return Valued(piecewise(raw.floats("care_n"), *params.breakpoints()))


def reading(row: Row, params: Params) -> int | None:
    count = number(row.get("care_n"))
    return None if count is None else int(count)


def facts(row: Row, params: Params, names: Names) -> Facts:
    return {"count": reading(row, params), "radius_m": round(RADIUS_M), "layer": LAYER}


CRITERION = Criterion(
    name="care_count",
    title_nl="Zorg binnen 1 km",
    title_en="Care within 1 km",
    unit="count",
    order=30,
    columns=(
        RawColumn("care_n", "int", "count", "care facilities within 1,000 m", reach_m=RADIUS_M),
    ),
    reads=(LayerUse(LAYER),),
    coverage=LAYER,
    compute=compute,
    defaults={"weight": 0.05, "breakpoints": [[0.0, 0.0], [1.0, 0.7], [3.0, 1.0]]},
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("count", "radius_m", "layer"),
)
