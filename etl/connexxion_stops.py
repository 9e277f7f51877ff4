"""Connexxion bus stops of December 2011: a stop list of its own year, without timetable.

Input: the Connexxion stop dump as CSV (``,``-separated; ``ID``, ``CODE`` (the TPC stop
code), ``NAAM`` (``"Plaats, Halte"``), ``KORTENAAM``, ``POSTCODE``, ``ZONE``,
``FTHOOFDHALTE``, ``ROLSTOEL``, ``lat``/``lon``: WGS84 degrees). Bundled: all 21,921 stops of
every Connexxion concession of December 2011, derived by the shared data set from
StichtingOpenGeo-Museum/haltebeheer, zipped unchanged to save space
(``pt/connexxion_haltes_2011_derived.csv.zip``; a zip holding one CSV is read as that CSV).

Output: ``poi`` rows, layer ``stops_connexxion``, ``source_ref`` = the TPC code, category
``bus``, ``props`` (code, short name, postcode, zone, hoofdhalte, wheelchair, ``as_of``
2011-12), geometry EPSG:28992 (metres). The list has no timetable: the stops carry no
departures per hour (``props.service`` says so), and only Connexxion's stops: the coverage is
the stops grown by 1,500 m, not the concessions' hull, so towns of other operators are not
claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import Pipeline, SourceInfo
from etl.readers import lonlat_points, plain_records, read_table, text, text_column
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

NO_TIMETABLE = "unknown (a stop list without timetable)"


def read_connexxion(path: Path) -> gpd.GeoDataFrame:
    frame = read_table(path, layer="stops_connexxion")
    missing = [c for c in ("CODE", "NAAM", "lat", "lon") if c not in frame.columns]
    if missing:
        raise SourceFileError(
            f"stops_connexxion: {path.name} is not the Connexxion stop list"
            f" ({', '.join(missing)} missing)"
        )
    props = pd.DataFrame(
        {
            "code": text(frame["CODE"]),
            "short_name": text_column(frame, "KORTENAAM"),
            "postcode": text_column(frame, "POSTCODE"),
            "zone": text_column(frame, "ZONE"),
            "hoofdhalte": text_column(frame, "FTHOOFDHALTE"),
            "wheelchair": text_column(frame, "ROLSTOEL")
            .str.lower()
            .map({"true": True, "false": False}),
            "service": NO_TIMETABLE,
        }
    )
    return gpd.GeoDataFrame(
        {
            "source_ref": text(frame["CODE"]),
            "name": text(frame["NAAM"]),
            "category": "bus",
            "props": plain_records(props),
        },
        geometry=lonlat_points(frame["lon"], frame["lat"]),
        crs=RD,
    )


class ConnexxionStops(Pipeline):
    layer = "stops_connexxion"
    source = SourceInfo(
        key="connexxion_haltes_2011",
        publisher="Connexxion stop service dump (StichtingOpenGeo-Museum/haltebeheer)",
        licence="CC0 per the carrier; Connexxion stated none (tests and demo only)",
        data_as_of="2011-12",
        url="https://github.com/StichtingOpenGeo-Museum/haltebeheer",
    )
    demo_files = ("pt/connexxion_haltes_2011_derived.csv.zip",)
    required = ("name",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        parts = [read_connexxion(path) for path in paths]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=RD)


PIPELINE = ConnexxionStops
