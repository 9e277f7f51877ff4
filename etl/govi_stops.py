"""GOVI stops of the Stadsregio Amsterdam (2011): a stop list of its own year, no modes.

Input: the GOVI stop list as KML (read with GDAL's LIBKML driver): one ``Placemark`` per stop,
its ``id`` the TPC stop code and its ``name`` ``"plaats, Plaats, Halte"`` (the town in lower
case, then as written, then the stop), a ``Point`` in WGS84 degrees. The list covers
Amsterdam, Zaanstad, Amstelveen, Haarlemmermeer, Waterland and Almere. It is not bundled with
the demo (its licence is not stated); the tests read the shared data set's copy,
``govi_stops_amsterdam_2011.kml``: load it with ``sitefinder etl run stops_govi --from
FILE``.

Output: ``poi`` rows, layer ``stops_govi``, ``source_ref`` = the stop code, ``name`` = the
town and the stop (``"De Rijp, Julianalaan"``), category ``unknown`` (the list names no mode;
the transit criterion counts such a stop as a local stop, never as a station), ``props``
(code, town, no timetable), geometry EPSG:28992 (metres).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import Pipeline, SourceInfo
from etl.readers import plain_records, read_vector, text
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

NO_TIMETABLE = "unknown (a stop list without timetable)"


def read_govi(path: Path) -> gpd.GeoDataFrame:
    frame = read_vector(path, what="stops_govi")
    if frame.crs is None or "id" not in frame.columns or "Name" not in frame.columns:
        raise SourceFileError(f"stops_govi: {path.name} is not a GOVI stop list (KML)")
    parts = text(frame["Name"]).str.split(",", n=2, expand=True).reindex(columns=[0, 1, 2])
    town = text(parts[1])
    stop = text(parts[2])
    name = (town + ", " + stop).fillna(text(frame["Name"]))
    props = pd.DataFrame({"code": text(frame["id"]), "town": town, "service": NO_TIMETABLE})
    return gpd.GeoDataFrame(
        {
            "source_ref": text(frame["id"]),
            "name": name,
            "category": "unknown",
            "props": plain_records(props),
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )


class GoviStops(Pipeline):
    layer = "stops_govi"
    source = SourceInfo(
        key="govi_haltes_amsterdam_2011",
        publisher="GOVI stop list, Stadsregio Amsterdam (via MonsterSwell/Glanceable-GVB)",
        licence="Not stated (GOVI stop data 2011): tests only, not bundled with the demo",
        data_as_of="2011",
        url="https://github.com/MonsterSwell/Glanceable-GVB",
    )
    demo_files = ()
    required = ("name",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        parts = [read_govi(path) for path in paths]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=RD)


PIPELINE = GoviStops
