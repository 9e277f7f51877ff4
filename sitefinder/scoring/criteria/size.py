"""Criterion ``size``: the estimated number of places (housing units) on the site.

From the site itself, no layer: the pipeline's estimate (offices: floor area / 25 m2, plots:
area / 50 m2, at most 60) or a holiday park's pitch capacity. Unknown places: missing.
"""

from __future__ import annotations

from sitefinder.scoring.base import (
    Columns,
    Facts,
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
from sitefinder.scoring.spatial import Layers, Sites


def compute(layers: Layers, sites: Sites) -> Columns:
    return {"places": sites.places}


def value(raw: Raw, params: Params) -> Valued:
    return Valued(piecewise(raw.floats("places"), *params.breakpoints()))  # NaN: unknown


def reading(row: Row, params: Params) -> float | None:
    return number(row.get("places"))


def facts(row: Row, params: Params, names: Names) -> Facts:
    places = number(row.get("places"))
    return {"places": None if places is None else round(places)}


CRITERION = Criterion(
    name="size",
    title_nl="Omvang (plaatsen)",
    title_en="Size (places)",
    unit="places",
    order=60,
    columns=(RawColumn("places", "float", "places", "estimated places; NULL: unknown"),),
    compute=compute,
    defaults={"weight": 0.10, "breakpoints": [[0.0, 0.0], [10.0, 0.5], [40.0, 1.0]]},
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("places",),
)
