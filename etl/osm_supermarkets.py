"""Supermarkets from OpenStreetMap (shop=supermarket).

Inputs (any mix):

* a point GeoJSON/GeoPackage of OSM supermarkets with ``osm_type``, ``osm_id``, ``name``,
  ``brand``, ``opening_hours`` and ``addr_*`` columns, in any CRS (the bundled demo file is an
  Overpass export of the European Netherlands, ways as one point each, CRS84 / EPSG:4326
  degrees);
* an OSM PBF extract (pyosmium) or an Overpass API JSON file (``out center`` / ``out geom``):
  every ``shop=supermarket`` node, closed way and multipolygon (see :mod:`etl.osm`); areas
  become a point on their surface (``out center``: Overpass's centre). The tags ``addr:*``
  become the ``addr_*`` props.

Online (``sitefinder etl run supermarkets --online [--gemeente|--provincie|--bbox]``): the
Overpass API (``https://overpass-api.de/api/interpreter``; see :mod:`etl.overpass`), asked for
every ``shop=supermarket`` node, way and relation in the area's bounding box with
``out center tags`` (WGS84 degrees), read as Overpass JSON above. Without an area the whole
Netherlands is asked for (allowed, with a note: slow on a shared server).

Output: ``poi`` rows, layer ``supermarkets``, category ``supermarket``,
``source_ref`` = ``<osm_type>/<osm_id>`` (``node/30839686``), geometry in EPSG:28992 (metres).

Some exports of this data set write missing tags as the text ``'None'`` (or ``'nan'``/empty);
those become real ``None`` and are left out of ``props``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import Pipeline, SourceInfo
from etl.osm import (
    Selector,
    is_overpass_json,
    is_pbf,
    poi_rows,
    read_osm,
    tag_columns,
)
from etl.overpass import overpass_source
from etl.readers import json_objects, read_vector
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

PROP_COLUMNS = (
    "brand",
    "operator",
    "opening_hours",
    "addr_street",
    "addr_housenumber",
    "addr_postcode",
    "addr_city",
    "website",
)
# OSM tag -> the column name the GeoJSON export uses (and ``props`` keeps).
OSM_TAGS = {c.replace("addr_", "addr:"): c for c in PROP_COLUMNS}
MISSING_TEXT = ("", "None", "none", "nan", "NaN", "null")
SELECT: Selector = {"shop": frozenset({"supermarket"})}
ARROW_TEXT = pd.StringDtype("pyarrow")


def clean_text(values: pd.Series) -> pd.Series:
    """Strings with the textual placeholders for 'missing' turned into NA (Arrow-backed text:
    strip and compare in C++, and ``json_objects`` takes them as they are)."""
    text = values.astype(ARROW_TEXT).str.strip()
    return text.mask(text.isin(MISSING_TEXT))


def integer_text(values: pd.Series) -> pd.Series:
    """OSM ids (integers, possibly read as float or text) as digit strings; NA otherwise."""
    if pd.api.types.is_integer_dtype(values):  # as a GeoPackage gives them: no text to parse
        return values.astype("Int64").astype(ARROW_TEXT)
    number = pd.to_numeric(clean_text(values), errors="coerce")
    return number.where(number % 1 == 0).astype("Int64").astype(ARROW_TEXT)


class OsmSupermarkets(Pipeline):
    layer = "supermarkets"
    source = SourceInfo(
        key="osm_supermarkets_nl",
        publisher="OpenStreetMap contributors (Overpass export via GpxFeed/campgrounds)",
        licence="ODbL 1.0 (© OpenStreetMap contributors)",
        data_as_of="2026-08-01 (Overpass timestamp_osm_base of the export)",
        url="https://www.openstreetmap.org/copyright",
    )
    online = overpass_source(SELECT, "osm_overpass_supermarkets")
    demo_files = ("osm/osm_nl_supermarkets.geojson",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        parts = []
        for path in paths:
            if is_pbf(path) or is_overpass_json(path):
                parts.append(self._from_osm(read_osm(path, SELECT)))
            else:
                # GDAL's Arrow stream: the same frame as row by row (checked on the bundled
                # export), three times faster at a million points
                parts.append(self._from_vector(read_vector(path, use_arrow=True)))
        frame = pd.concat(parts, ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD)

    @staticmethod
    def _from_osm(osm: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        tags = tag_columns(osm, ["name", *OSM_TAGS])
        props = pd.DataFrame({column: clean_text(tags[key]) for key, column in OSM_TAGS.items()})
        return poi_rows(osm, clean_text(tags["name"]), "supermarket", props)

    @staticmethod
    def _from_vector(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if frame.crs is None:
            raise SourceFileError("supermarkets: the input has no coordinate reference system")
        osm_id = integer_text(frame["osm_id"])
        source_ref = clean_text(frame["osm_type"]).str.lower() + "/" + osm_id
        props = pd.DataFrame(  # the index too: a file may have none of these columns
            {c: clean_text(frame[c]) for c in PROP_COLUMNS if c in frame.columns}, index=frame.index
        )
        return gpd.GeoDataFrame(
            {
                "source_ref": source_ref,
                "name": clean_text(frame["name"]) if "name" in frame else None,
                "category": "supermarket",
                # JSON text built in Arrow: a dict per record was a third of a million-point load
                "props": json_objects(props),
            },
            geometry=frame.geometry.to_crs(RD).to_numpy(),
            crs=RD,
        )


PIPELINE = OsmSupermarkets
