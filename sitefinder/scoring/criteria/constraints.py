"""Criterion ``constraints``: the other constraint areas (flood, noise, NNN, ...) a site lies in.

Every layer of kind ``constraint`` except Natura 2000 (a criterion of its own), read as
``ST_Subdivide`` parts; one STRtree ``intersects`` query per layer for all sites (EPSG:28992).
A site in any of them is excluded, or, with ``exclude = false``, valued 0.
"""

from __future__ import annotations

import numpy as np

from layers import catalogue
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
    id_list,
)
from sitefinder.scoring.declaration import Criterion
from sitefinder.scoring.spatial import Layers, Sites

LAYERS = tuple(
    layer.name
    for layer in catalogue().values()
    if layer.kind == "constraint" and layer.name != "natura2000"
)


def compute(layers: Layers, sites: Sites) -> Columns:
    import pandas as pd

    hit_src, hit_ids = [], []
    for name in LAYERS:
        index = layers.get(name, parts=True)
        if index is None:
            continue
        src, tgt = index.tree.query(sites.geoms, predicate="intersects")
        # per site in the layer's order (by id): a tree's own order depends on what else it
        # holds (the partitioned run's neighbourhoods, ``scoring.partitioned``)
        order = np.lexsort((tgt, src))
        hit_src.append(src[order])
        hit_ids.append(index.ids[tgt[order]])
    constraint_ids = np.full(len(sites), None, dtype=object)
    if hit_src and sum(len(h) for h in hit_src):
        # one list per site, each area once (several of its parts may hit)
        hits = pd.DataFrame({"site": np.concatenate(hit_src), "id": np.concatenate(hit_ids)})
        grouped = hits.drop_duplicates().groupby("site", sort=True)["id"].agg(list)
        constraint_ids[grouped.index.to_numpy()] = grouped.to_numpy()
    return {"constraint_ids": constraint_ids}


def value(raw: Raw, params: Params) -> Valued:
    hits = raw.series("constraint_ids").map(lambda ids: bool(id_list(ids))).to_numpy(dtype=bool)
    return Valued(np.where(hits, 0.0, 1.0), hits & bool(params["exclude"]))


def reading(row: Row, params: Params) -> int:
    return len(id_list(row.get("constraint_ids")))


def facts(row: Row, params: Params, names: Names) -> Facts:
    areas = [feature(names, i, "category") for i in id_list(row.get("constraint_ids"))]
    return {"areas": areas}


CRITERION = Criterion(
    name="constraints",
    title_nl="Overige beperkingen",
    title_en="Other constraints",
    unit="areas",
    order=80,
    constraint=True,
    columns=(RawColumn("constraint_ids", "ids", None, "the constraint areas the site lies in"),),
    reads=tuple(LayerUse(name, parts=True) for name in LAYERS),
    group="constraints",
    compute=compute,
    defaults={
        "weight": 0.0,
        # true: a site in any other constraint area (flood, noise, NNN) is excluded; false: 0
        "exclude": True,
    },
    value=value,
    reading=reading,
    facts=facts,
    fact_keys=("areas",),
)
