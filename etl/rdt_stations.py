"""Railway stations: the national list of Rijden de Treinen, with each station's service class.

Input: the Rijden de Treinen station list (CSV, ``,``-separated; columns ``code``, ``uic``,
``name_short``, ``name_medium``, ``name_long``, ``country``, ``type``, ``geo_lat``,
``geo_lng``: WGS84 degrees). Bundled: the January 2020 list of all 400 Dutch stations
(``pt/rdt_stations_2020-01_nl.csv``). Rows of another ``country`` (the list also knows German
and Belgian stations) are quarantined: ``station abroad (country XX)``.

``type`` is the station's class in the national timetable: ``megastation``,
``knooppuntIntercitystation``, ``intercitystation``, ``knooppuntSneltreinstation``,
``sneltreinstation``, ``knooppuntStoptreinstation``, ``stoptreinstation`` or
``facultatiefStation`` (served only at events). It is kept as ``props.station_type``; the
transit criterion values it (a stop-train halt is worth less than an intercity station),
because the list carries no timetable. An empty type is quarantined (``missing required field
'station_type'``).

Output: ``poi`` rows, layer ``stations``, ``source_ref`` = the station code (``ASD``),
``name`` = ``name_long``, category ``rail``, geometry EPSG:28992 (metres). Coverage: national.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import QUARANTINE_REASON, Pipeline, SourceInfo
from etl.readers import lonlat_points, plain_records, read_table, text, text_column
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

FIELDS = ("code", "name_long", "type", "geo_lat", "geo_lng")


def read_stations(path: Path) -> gpd.GeoDataFrame:
    """The station list at ``path`` as ``poi`` rows in EPSG:28992."""
    frame = read_table(path, layer="stations")
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in FIELDS if c not in frame.columns]
    if missing:
        raise SourceFileError(
            f"stations: {path.name} is not a Rijden de Treinen station list"
            f" ({', '.join(missing)} missing)"
        )
    geometry = lonlat_points(frame["geo_lng"], frame["geo_lat"])
    country = text_column(frame, "country").str.upper()
    abroad = country.notna() & (country != "NL")
    reason = ("station abroad (country " + country + ")").where(abroad, None)
    props = pd.DataFrame(
        {
            "code": text(frame["code"]),
            "uic": text_column(frame, "uic"),
            "name_short": text_column(frame, "name_short"),
            "name_medium": text_column(frame, "name_medium"),
            "station_type": text(frame["type"]),
        }
    )
    return gpd.GeoDataFrame(
        {
            "source_ref": text(frame["code"]),
            "name": text(frame["name_long"]),
            "category": "rail",
            "station_type": props["station_type"],
            "props": plain_records(props),
            QUARANTINE_REASON: reason,
        },
        geometry=geometry,
        crs=RD,
    )


class RdtStations(Pipeline):
    layer = "stations"
    source = SourceInfo(
        key="rdt_stations_2020_01",
        publisher="Rijden de Treinen (station list)",
        licence="CC0 as cited by other repositories; attribute 'Rijden de Treinen'",
        data_as_of="2020-01",
        url="https://www.rijdendetreinen.nl/open-data/treinstations",
    )
    demo_files = ("pt/rdt_stations_2020-01_nl.csv",)
    required = ("name", "station_type")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        parts = [read_stations(path) for path in paths]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=RD)


PIPELINE = RdtStations
