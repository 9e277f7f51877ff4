"""Derived column ``gemeentecode``: the CBS gemeente holding each site's point on surface.

Stored beside the criteria and recomputed when the gemeenten layer is reloaded, not weighted;
``site.gemeentecode`` keeps what a source itself said. None at sea or abroad. The gemeenten
are read as ``ST_Subdivide`` parts (EPSG:28992).
"""

from __future__ import annotations

from sitefinder.scoring.base import Columns, LayerUse, RawColumn
from sitefinder.scoring.declaration import Declaration
from sitefinder.scoring.spatial import Layers, Sites, containing


def compute(layers: Layers, sites: Sites) -> Columns:
    return {"gemeentecode": containing(layers.get("gemeenten", parts=True), sites)[1]}


DERIVED = Declaration(
    name="gemeente",
    order=0,
    columns=(RawColumn("gemeentecode", "text", "code", "CBS gemeente code, e.g. GM0363"),),
    reads=(LayerUse("gemeenten", parts=True),),
    compute=compute,
)
