"""Criterion ``size``: the estimated number of places (housing units) on the site.

From the site itself, no layer: the pipeline's estimate (offices: floor area / 25 m2, plots:
area / 50 m2, at most 60) or a holiday park's pitch capacity (``compute.places_sql``, the one
definition the API shows too). Unknown places: missing.

A site with fewer places than its kind's minimum (``layers.SiteKind.min_places``; the
parameter ``min_places``, per kind code, which a profile may change) is excluded as too small:
a 6 m2 parcel strip or an office unit of 1 m2 is no candidate. A site of no known kind (an
ad-hoc geometry without one) needs ``layers.MIN_PLACES``.
"""

from __future__ import annotations

import numpy as np

from layers import MIN_PLACES, site_kinds
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


def minimum(params: Params, kind: object) -> int:
    """The fewest places a site of ``kind`` (a site kind code, or None) needs."""
    table = params.get("min_places", {})
    return int(table.get(kind, MIN_PLACES)) if isinstance(kind, str) else MIN_PLACES


def value(raw: Raw, params: Params) -> Valued:
    places = raw.floats("places")
    table = {code: float(n) for code, n in params.get("min_places", {}).items()}
    needed = raw.series("kind").map(table).to_numpy(dtype=float, na_value=np.nan)
    needed = np.where(np.isnan(needed), float(MIN_PLACES), needed)
    too_small = ~np.isnan(places) & (places < needed)  # unknown places: missing, not small
    return Valued(piecewise(places, *params.breakpoints()), too_small)


def reading(row: Row, params: Params) -> float | None:
    return number(row.get("places"))


def facts(row: Row, params: Params, names: Names) -> Facts:
    places = number(row.get("places"))
    return {
        "places": None if places is None else round(places),
        "min_places": minimum(params, row.get("kind")),
    }


CRITERION = Criterion(
    name="size",
    title_nl="Omvang (plaatsen)",
    title_en="Size (places)",
    unit="places",
    order=60,
    columns=(RawColumn("places", "float", "places", "estimated places; NULL: unknown"),),
    compute=compute,
    defaults={
        "weight": 0.10,
        "breakpoints": [[0.0, 0.0], [10.0, 0.5], [40.0, 1.0]],
        "min_places": {code: kind.min_places for code, kind in site_kinds().items()},
    },
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("places", "min_places"),
)
