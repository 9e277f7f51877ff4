"""Natura 2000 areas (RVO, via PDOK).

Input: a GeoPackage/GeoJSON with one (multi)polygon per Natura 2000 area and the fields ``slug``
and ``naam`` in any CRS (the bundled file merges the 144 per-area files of
jolietjakeblues/BoerderijenNatura2000NL, CRS84 / EPSG:4326 degrees, buffer(0) applied).
Output: ``area`` rows, layer ``natura2000``, ``source_ref`` = slug, name = naam, geometry in
EPSG:28992 (metres).

The three areas in the North Sea far off the coast (Doggersbank, Klaverbank, Friese Front) lie
outside the RD New domain and are quarantined by the framework as "outside the Netherlands";
they are irrelevant for siting housing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.framework import Pipeline, SourceInfo, read_vector


class RvoNatura2000(Pipeline):
    layer = "natura2000"
    source = SourceInfo(
        key="rvo_natura2000",
        publisher="RVO via PDOK (merged by jolietjakeblues/BoerderijenNatura2000NL)",
        licence="Public domain (RVO/PDOK); derivative CC BY 4.0",
        data_as_of="unknown (repository snapshot e4665aa)",
        url="https://service.pdok.nl/rvo/natura2000/wfs/v1_0",
    )
    demo_files = ("nature/natura2000_nl.gpkg",)
    required = ("name",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        return gpd.GeoDataFrame(
            {
                "source_ref": frame["slug"],
                "code": frame["slug"],
                "name": frame["naam"],
                "category": "natura2000",
                "props": None,
            },
            geometry=frame.geometry.to_numpy(),
            crs=frame.crs,
        )


PIPELINE = RvoNatura2000
