"""Public-transport stops (OVapi/openOV GTFS), with their mode.

Input: a point GeoJSON/GeoPackage of GTFS stops with ``stop_id``, ``stop_name``,
``parent_station``, ``agency`` and ``route_type`` (the GTFS route type of the routes serving
the stop), in any CRS (the bundled file holds 561 GVB and NS stops in and around Amsterdam,
2022, CRS84 / EPSG:4326 degrees). Output: ``poi`` rows, layer ``stops``, ``source_ref`` =
stop_id, geometry in EPSG:28992 (metres).

``category`` is the mode: the basic GTFS route types 0-4 (tram, metro, rail, bus, ferry) and
the extended (HVT) types 100-199 rail, 400-499 metro, 700-799 bus, 900-999 tram and
1000-1099 ferry. Any other or unparseable route_type leaves the category empty, and the stop is
quarantined (``required = ("category",)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.framework import Pipeline, SourceInfo, read_vector

BASIC_ROUTE_TYPES = {0: "tram", 1: "metro", 2: "rail", 3: "bus", 4: "ferry"}
# Extended (Hierarchical Vehicle Type) route types: [start, end) -> mode.
EXTENDED_ROUTE_TYPES = (
    (100, 200, "rail"),
    (400, 500, "metro"),
    (700, 800, "bus"),
    (900, 1000, "tram"),
    (1000, 1100, "ferry"),
)


def route_type_mode(route_type: pd.Series) -> pd.Series:
    """GTFS route_type (number or numeric text) -> mode name; None where unknown."""
    code = pd.to_numeric(route_type, errors="coerce")
    whole = code.where(code % 1 == 0)
    modes = pd.Series(None, index=route_type.index, dtype=object)
    # One vectorised assignment per rule (ten rules), not per stop.
    for key, mode in BASIC_ROUTE_TYPES.items():
        modes[(whole == key).to_numpy(dtype=bool)] = mode
    for start, end, mode in EXTENDED_ROUTE_TYPES:
        modes[((whole >= start) & (whole < end)).to_numpy(dtype=bool)] = mode
    return modes


class OvStops(Pipeline):
    layer = "stops"
    source = SourceInfo(
        key="ovapi_gtfs_stops_amsterdam_2022",
        publisher="OVapi / openOV (GTFS, from NDOV open data: GVB, NS)",
        licence="Not stated by the carrying repository; verify before redistribution",
        data_as_of="2022",
        url="https://gtfs.ovapi.nl/",
    )
    demo_files = ("pt/amsterdam_pt_stops_2022_derived.geojson",)
    required = ("category",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        stop_id = frame["stop_id"].astype("string").str.strip()
        code = pd.to_numeric(frame["route_type"], errors="coerce")
        route_type = code.where(code % 1 == 0)  # GTFS route types are whole numbers
        props = pd.DataFrame(
            {
                "stop_id": stop_id,
                "agency": frame.get("agency"),
                "route_type": route_type.astype("Int64"),
                "parent_station": frame.get("parent_station"),
            }
        ).astype(object)
        props = props.where(props.notna(), None)
        return gpd.GeoDataFrame(
            {
                "source_ref": stop_id,
                "name": frame["stop_name"],
                "category": route_type_mode(frame["route_type"]),
                "props": props.to_dict("records"),
            },
            geometry=frame.geometry.to_numpy(),
            crs=frame.crs,
        )


PIPELINE = OvStops
