"""Public-transport stops with their mode and, where known, departures per hour.

Inputs (any mix, one layer):

* **GTFS zip** (``*.zip`` holding ``stops.txt``; see :mod:`etl.gtfs`): stops with
  ``location_type`` 0/empty, their mode (rail > metro > tram > bus > ferry among the routes
  serving them) and, with ``stop_times.txt``, ``props.departures_per_hour`` on one service date
  (07:00-19:00 departures / 12): the date given to the constructor, which
  :func:`etl.get_pipeline` takes from the setting ``SITEFINDER_GTFS_SERVICE_DATE``
  (``settings.gtfs_service_date``, ``YYYY-MM-DD``), else the feed's busiest Tuesday. A feed
  without ``stop_times.txt`` (the bundled real GVB 2017 feed) loads with the fallback
  described in :mod:`etl.gtfs`: every stop gets
  ``props.service = "unknown (feed has no stop_times.txt)"``, a ``mode_source``, no
  departures, and the run logs a warning saying so. A stop that the timetable shows no trip
  ever serves has no mode and is quarantined (``missing required field 'category'``).
* **point GeoJSON/GeoPackage** of GTFS stops with ``stop_id``, ``stop_name``,
  ``parent_station``, ``agency`` and ``route_type`` (the GTFS route type of the routes serving
  the stop), in any CRS: the bundled demo file holds GVB and NS stops in and around
  Amsterdam, 2022, CRS84 / EPSG:4326 degrees, derived from the OVapi timetable (it stays the
  demo default: unlike the GVB 2017 GTFS it has the NS railway stations, which the scorer
  values separately).

Online (``sitefinder etl run stops --online [--gemeente|--provincie|--bbox]``): the national
GTFS feed of OVapi, ``http://gtfs.ovapi.nl/nl/gtfs-nl.zip`` (every Dutch operator, with
``stop_times.txt``; some hundreds of MB), downloaded as one file through :mod:`etl.http`
(progress bar, retries, resumed with ``Range`` after a dropped connection, cached per UTC day)
and read as a GTFS zip above; an area is applied after reading (the whole feed is always
downloaded: OVapi offers no per-area extract). The URL is the one OVapi publishes (its
directory listing at gtfs.ovapi.nl); only a plain HTTP GET is assumed.

Output: ``poi`` rows, layer ``stops``, ``source_ref`` = stop_id, geometry in EPSG:28992
(metres). ``category`` is the mode: ``rail``, ``metro``, ``tram``, ``bus``, ``ferry``, or
``unknown`` (GTFS fallback only; the scorer treats it as a local stop). The route types are
mapped by :func:`etl.gtfs.route_type_mode` (basic 0-4, 5, 11, 12 and the extended/HVT types);
a GeoJSON stop whose route_type maps to no mode is quarantined (``required = ("category",)``).
The service date is part of the run's checksum, so changing ``SITEFINDER_GTFS_SERVICE_DATE``
reloads the layer. What the feed lacks (no ``stop_times.txt``) is written to the run's message.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import OnlineSource, SourceInfo
from etl.download import DOWNLOAD
from etl.gtfs import BASIC_ROUTE_TYPES, EXTENDED_ROUTE_TYPES, is_gtfs, route_type_mode
from etl.gtfs_pipeline import GtfsPipeline
from etl.readers import list_layers, plain_records, read_vector, require_columns
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

__all__ = ["BASIC_ROUTE_TYPES", "EXTENDED_ROUTE_TYPES", "OvStops", "route_type_mode"]

OVAPI_GTFS_URL = "http://gtfs.ovapi.nl/nl/gtfs-nl.zip"
VECTOR_COLUMNS = ("stop_id", "stop_name", "route_type")  # of a point file of stops


class OvStops(GtfsPipeline):
    layer = "stops"
    source = SourceInfo(
        key="ovapi_gtfs_stops_amsterdam_2022",
        publisher="OVapi / openOV (GTFS, from NDOV open data: GVB, NS)",
        licence="Not stated by the carrying repository; verify before redistribution",
        data_as_of="2022",
        url="https://gtfs.ovapi.nl/",
    )
    online = OnlineSource.service(
        DOWNLOAD,
        OVAPI_GTFS_URL,
        key="ovapi_gtfs_nl",
        publisher="OVapi / openOV (GTFS NL, from NDOV open data)",
        licence="Not stated by OVapi; NDOV open data (verify before redistribution)",
        format=".zip",
    )
    demo_files = ("pt/amsterdam_pt_stops_2022_derived.geojson",)
    version = "2"

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        self.feeds = []
        self.notes.clear()
        parts = []
        for path in paths:
            if path.suffix.lower() == ".zip" and (is_gtfs(path) or not _zip_of_vectors(path)):
                parts.append(self.feed_rows(path))
            else:
                layers = list_layers(path, what=self.layer)
                if len(layers) > 1:
                    names = ", ".join(name for name, _ in layers[:5])
                    raise SourceFileError(
                        f"stops: {path.name} holds several layers ({names}); a stops file has"
                        " one layer of points"
                    )
                frame = read_vector(path, what=self.layer)
                require_columns(frame, VECTOR_COLUMNS, what=self.layer, label=path.name)
                parts.append(self._from_vector(frame))
        frame = pd.concat(parts, ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD)

    @staticmethod
    def _from_vector(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if frame.crs is None:
            raise SourceFileError("stops: the input has no coordinate reference system")
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
        )
        return gpd.GeoDataFrame(
            {
                "source_ref": stop_id,
                "name": frame["stop_name"],
                "category": route_type_mode(frame["route_type"]),
                "props": plain_records(props),
            },
            geometry=frame.geometry.to_crs(RD).to_numpy(),
            crs=RD,
        )


def _zip_of_vectors(path: Path) -> bool:
    """A zip that GDAL should read (a zipped shapefile/GeoPackage), not a GTFS feed."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n.lower() for n in archive.namelist()]
    except (zipfile.BadZipFile, OSError):
        return False
    return any(n.endswith((".shp", ".gpkg", ".geojson", ".gml")) for n in names)


PIPELINE = OvStops
