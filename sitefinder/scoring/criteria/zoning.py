"""Criterion ``zoning``: the zoning class (IMRO bestemmingshoofdgroep) at the site.

The class of the *Enkelbestemming* (layer ``zoning``) holding the site's point on surface
(EPSG:28992; the lowest id wins where plans overlap), valued by a class table. Some classes
(nature, water, forest) exclude a site. Inside the plans' coverage but under no plan object the
value is unknown (missing), not zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
)
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import Layers, Sites, containing


def compute(layers: Layers, sites: Sites) -> Columns:
    ids, classes = containing(layers.get("zoning"), sites)
    return {"zoning_id": ids, "zoning_class": classes}


def value(raw: Raw, params: Params) -> Valued:
    classes = raw.series("zoning_class")
    table = pd.Series(params["classes"], dtype=float)
    zoned = classes.map(table).fillna(float(params["default"])).to_numpy(dtype=float)
    values = np.where(classes.notna().to_numpy(), zoned, np.nan)
    excluded = classes.isin(list(params["exclude_classes"])).to_numpy()
    return Valued(values, excluded)


def reading(row: Row, params: Params) -> str | None:
    found = row.get("zoning_class")
    return found if isinstance(found, str) else None


def facts(row: Row, params: Params, names: Names) -> Facts:
    zone = feature(names, row.get("zoning_id"), "code")
    if zone is None:
        return {"zoning": None}
    return {"zoning": {"class": reading(row, params), "name": zone["name"], "plan": zone["code"]}}


CRITERION = Criterion(
    name="zoning",
    title_nl="Bestemming",
    title_en="Zoning",
    unit="class",
    order=50,
    columns=(
        RawColumn("zoning_id", "id", None, "the zoning object holding the point on surface"),
        RawColumn("zoning_class", "text", "class", "its bestemmingshoofdgroep (lower case)"),
    ),
    reads=(LayerUse("zoning"),),
    coverage="zoning",
    compute=compute,
    defaults={
        "weight": 0.25,
        # value for a zoning class not in the table below
        "default": 0.4,
        # classes that rule a site out (nature and water zoning exclude housing)
        "exclude_classes": ["natuur", "water", "bos"],
        "classes": {
            "wonen": 1.0,
            "woongebied": 1.0,
            "gemengd": 0.9,
            "centrum": 0.9,
            "kantoor": 0.7,
            "maatschappelijk": 0.7,
            "dienstverlening": 0.6,
            "detailhandel": 0.6,
            "horeca": 0.5,
            "recreatie": 0.5,
            "cultuur_en_ontspanning": 0.5,
            "bedrijf": 0.4,
            "bedrijventerrein": 0.4,
            "sport": 0.4,
            "agrarisch": 0.3,
            "tuin": 0.3,
            "agrarisch_met_waarden": 0.2,
            "groen": 0.2,
            "verkeer": 0.1,
            "bos": 0.0,
            "natuur": 0.0,
            "water": 0.0,
        },
    },
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("zoning",),
)
