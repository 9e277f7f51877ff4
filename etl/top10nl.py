"""TOP10NL FunctioneelGebied: the holiday areas of the BRT TOP10NL 1.2 GML.

Read by :mod:`etl.holidayparks` (a TOP10NL file among its inputs). The file is BRT TOP10NL 1.2
GML (namespace ``http://register.geostandaarden.nl/gmlapplicatieschema/top10nl/1.2.0``, BRT
``…/brt-algemeen/1.2.0``, GML 3.2), one ``top10nl:FunctioneelGebied`` per
``top10nl:FeatureMember``, as PDOK delivers it: a bare ``.gml``, or a zip whose member name
contains ``functioneelgebied``. It is streamed with ``lxml.iterparse`` (:mod:`etl.gml`).

Read per object: ``identificatie/brt:NEN3610ID/brt:lokaalID``, ``typeFunctioneelGebied``,
``naamNL``, ``naamFries``, ``objectBeginTijd``, ``objectEindTijd`` and the geometry in
``geometrie/brt:BRTVlakMultivlakOfPunt``: ``brt:vlakGeometrie`` (gml:Polygon) or
``brt:multivlakGeometrie`` (gml:MultiSurface) as a MultiPolygon, ``brt:puntGeometrie``
(gml:Point) as a Point, through :class:`etl.gml.Geometries`. Coordinates EPSG:28992 (RD New,
metres).

Only holiday accommodation is kept (:data:`HOLIDAY_TYPES`: ``bungalowpark``,
``kampeerterrein``, ``recreatiepark``, ``vakantiepark``, and ``camping`` /
``camping, kampeerterrein`` as older TOP10NL versions spell it); other functional areas
(sportterrein, begraafplaats …) and ended objects (an ``objectEindTijd``) are not errors and
are only counted. Broken XML, a corrupt zip or a file without any FunctioneelGebied raise
:class:`SourceFileError` with a one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from etl.gml import READ_ERRORS, Geometries, iter_features, open_members, read_error, text_of
from sitefinder.core.errors import SourceFileError

TOP10NL_NS = "http://register.geostandaarden.nl/gmlapplicatieschema/top10nl/1.2.0"
HOLIDAY_TYPES = frozenset(
    {
        "bungalowpark",
        "kampeerterrein",
        "recreatiepark",
        "vakantiepark",
        "camping",
        "camping, kampeerterrein",
    }
)


@dataclass
class FunctioneelGebieden:
    """TOP10NL holiday areas: attributes, geometries (EPSG as in :attr:`crs`) and counts."""

    records: pd.DataFrame
    geometry: np.ndarray  # MultiPolygon or Point per record; None where unreadable
    crs: str
    filtered: dict[str, int]


def read_functioneel_gebied(path: Path) -> FunctioneelGebieden:
    """The holiday-type FunctioneelGebieden of one TOP10NL 1.2 GML file (or zip)."""
    what = "holidayparks"
    records: list[dict[str, Any]] = []
    geometries = Geometries()
    filtered = {"other type": 0, "ended": 0}
    seen = 0
    for name, handle in open_members(path, r"functioneel.?gebied.*\.(gml|xml)$", what):
        try:
            for feature in iter_features(handle, "FunctioneelGebied"):
                seen += 1
                kind = (text_of(feature, "{*}typeFunctioneelGebied") or "").lower()
                if kind not in HOLIDAY_TYPES:
                    filtered["other type"] += 1
                    continue
                if text_of(feature, "{*}objectEindTijd") is not None:
                    filtered["ended"] += 1
                    continue
                holder = feature.find("{*}geometrie/{*}BRTVlakMultivlakOfPunt")
                if holder is None:
                    holder = feature.find("{*}geometrie")
                geometries.add(holder, len(records))
                records.append(
                    {
                        "lokaal_id": text_of(feature, "{*}identificatie//{*}lokaalID")
                        or text_of(feature, "{*}identificatie"),
                        "type": kind,
                        "naam": text_of(feature, "{*}naamNL"),
                        "naam_fries": text_of(feature, "{*}naamFries"),
                        "object_begin": text_of(feature, "{*}objectBeginTijd"),
                        "file": name,
                    }
                )
        except READ_ERRORS as exc:
            raise read_error(what, name, exc) from exc
    if seen == 0:
        raise SourceFileError(f"{what}: {path.name} holds no TOP10NL FunctioneelGebied")
    geometry = geometries.build(len(records))
    frame = pd.DataFrame.from_records(
        records, columns=["lokaal_id", "type", "naam", "naam_fries", "object_begin", "file"]
    )
    crs = geometries.crs(f"{what}: {path.name}")
    return FunctioneelGebieden(records=frame, geometry=geometry, crs=crs, filtered=filtered)
