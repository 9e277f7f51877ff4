"""Natura 2000 areas (RVO, via PDOK).

Inputs (any CRS; every file one of these shapes, read through GDAL):

* the bundled merge: a GeoPackage/GeoJSON with one (multi)polygon per area and the fields
  ``slug`` and ``naam`` (the bundled file merges the per-area files of
  jolietjakeblues/BoerderijenNatura2000NL, CRS84 / EPSG:4326 degrees, buffer(0) applied).
  ``source_ref`` = ``code`` = slug;
* the PDOK/RVO WFS GeoJSON (``service.pdok.nl/rvo/natura2000/wfs/v1_0``, typeName
  ``natura2000``; RD New unless asked otherwise) with ``naamN2K``, ``nr`` (the Natura 2000 area
  number), ``beschermin`` (HR / VR / VR+HR), ``status``, ``sitecodeH``, ``sitecodeV``;
* the same data as an OGC API Features response (a FeatureCollection with ``links``,
  ``numberReturned`` and feature ``id``s; CRS84), property names in camelCase or snake_case
  (``naam_n2k``, ``sitecode_h`` …): names are matched ignoring case and underscores.

For the PDOK shapes ``source_ref`` = ``code`` = ``nr`` (``'55'``), name = ``naamN2K``;
PDOK serves an area as several features when parts differ in protection (Naardermeer: one
VR+HR part and one HR part), so features are dissolved per ``nr`` into one MultiPolygon and
``props`` lists the ``beschermin`` values and site codes found. Output: ``area`` rows, layer
``natura2000``, category ``natura2000``, geometry in EPSG:28992 (metres).

Online (``sitefinder etl run natura2000 --online [--gemeente|--provincie|--bbox]``): the PDOK
OGC API Features service ``https://api.pdok.nl/rvo/natura2000/ogc/v1``, collection
``natura2000``, GeoJSON in CRS84 (degrees), every page (with an area, its bounding box only).
Verified (published clients and PDOK's service list, not the live service): the landing page,
the collection name, and the snake_case properties ``naam_n2k``, ``nr``, ``beschermin``,
``sitecode_h``, ``sitecode_v``, ``status`` (plus ``shape_area``, ``staatscour``), read as the
OGC API shape above (areas with parts of different protection come as several features,
dissolved per ``nr`` here).

The three areas in the North Sea far off the coast (Doggersbank, Klaverbank, Friese Front) lie
outside the RD New domain and are quarantined by the framework as "outside the Netherlands";
they are irrelevant for siting housing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.ogcapi import OGC_API
from etl.readers import read_vector
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

PDOK_OGC_BASE = "https://api.pdok.nl/rvo/natura2000/ogc/v1"


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    """Normalised name (``naamn2k``) -> the frame's column (``naamN2K`` / ``naam_n2k``)."""
    return {_key(str(c)): str(c) for c in frame.columns if c != frame.geometry.name}


def _text_list(values: pd.Series) -> list[str] | None:
    found = sorted({str(v).strip() for v in values.dropna() if str(v).strip()})
    return found or None


def _pdok(frame: gpd.GeoDataFrame, cols: dict[str, str], path: Path) -> gpd.GeoDataFrame:
    name = frame[cols["naamn2k"]].astype("string").str.strip()
    if "nr" in cols:
        number = pd.to_numeric(frame[cols["nr"]], errors="coerce")
        ref = number.where(number % 1 == 0).astype("Int64").astype("string")
    else:
        raise SourceFileError(f"natura2000: {path.name} has naamN2K but no nr (area number)")
    rd = gpd.GeoDataFrame(
        {
            "ref": ref,
            "name": name,
            "beschermin": frame[cols["beschermin"]] if "beschermin" in cols else None,
            "status": frame[cols["status"]] if "status" in cols else None,
            "sitecode_h": frame[cols["sitecodeh"]] if "sitecodeh" in cols else None,
            "sitecode_v": frame[cols["sitecodev"]] if "sitecodev" in cols else None,
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )
    # Features without a number cannot be grouped: they go on alone (and are quarantined for
    # their missing source_ref).
    numbered = rd[rd["ref"].notna()]
    grouped = numbered.groupby("ref", sort=True)
    attrs = grouped.agg(
        name=("name", "first"),
        beschermin=("beschermin", _text_list),
        status=("status", _text_list),
        sitecodes_h=("sitecode_h", _text_list),
        sitecodes_v=("sitecode_v", _text_list),
        parts=("name", "size"),
    )
    shapes = numbered[["ref", "geometry"]].dissolve(by="ref", sort=True)
    attrs = attrs.join(shapes)
    props = attrs[["beschermin", "status", "sitecodes_h", "sitecodes_v", "parts"]].astype(object)
    props["nr"] = pd.to_numeric(attrs.index).astype(int)
    props = props.where(props.notna(), None)
    out = gpd.GeoDataFrame(
        {
            "source_ref": attrs.index.astype(str),
            "code": attrs.index.astype(str),
            "name": attrs["name"].to_numpy(),
            "category": "natura2000",
            "props": props.to_dict("records"),
        },
        geometry=attrs["geometry"].to_numpy(),
        crs=RD,
    )
    loose = rd[rd["ref"].isna()]
    if len(loose):
        extra = gpd.GeoDataFrame(
            {
                "source_ref": None,
                "code": None,
                "name": loose["name"],
                "category": "natura2000",
                "props": None,
            },
            geometry=loose.geometry.to_numpy(),
            crs=RD,
        )
        out = gpd.GeoDataFrame(pd.concat([out, extra], ignore_index=True), crs=RD)
    return out


def _merged(frame: gpd.GeoDataFrame, cols: dict[str, str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "source_ref": frame[cols["slug"]],
            "code": frame[cols["slug"]],
            "name": frame[cols["naam"]],
            "category": "natura2000",
            "props": None,
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )


class RvoNatura2000(Pipeline):
    layer = "natura2000"
    source = SourceInfo(
        key="rvo_natura2000",
        publisher="RVO via PDOK (merged by jolietjakeblues/BoerderijenNatura2000NL)",
        licence="Public domain (RVO/PDOK); derivative CC BY 4.0",
        data_as_of="unknown (repository snapshot e4665aa)",
        url="https://service.pdok.nl/rvo/natura2000/wfs/v1_0",
    )
    online = OnlineSource.service(
        OGC_API,
        PDOK_OGC_BASE,
        key="pdok_ogc_rvo_natura2000",
        publisher="RVO via PDOK (Natura 2000, OGC API)",
        licence="Public domain (PDOK: Public Domain Mark 1.0)",
        collection="natura2000",
    )
    demo_files = ("nature/natura2000_nl.gpkg",)
    required = ("name",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        parts = []
        for path in paths:
            frame = read_vector(path)
            if frame.crs is None:
                raise SourceFileError(f"natura2000: {path.name} has no coordinate reference system")
            cols = _columns(frame)
            if "naamn2k" in cols:
                parts.append(_pdok(frame, cols, path))
            elif "slug" in cols and "naam" in cols:
                parts.append(_merged(frame, cols))
            else:
                raise SourceFileError(
                    f"natura2000: {path.name} has neither naamN2K/nr (PDOK) nor slug/naam"
                )
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=RD)


PIPELINE = RvoNatura2000
