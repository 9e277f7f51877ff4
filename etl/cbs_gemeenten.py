"""CBS Wijk- en Buurtkaart: gemeenten (municipal boundaries with key figures).

Input: the CBS/PDOK gemeenten layer as GeoJSON or GeoPackage (any CRS; the bundled file is
CRS84). Output: ``area`` rows, layer ``gemeenten``, code ``GM....``, EPSG:28992.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.framework import Pipeline, SourceInfo, read_vector

KEY_FIGURES = (
    "aantalInwoners",
    "aantalHuishoudens",
    "bevolkingsdichtheidInwonersPerKm2",
    "oppervlakteLandInHa",
    "provinciecode",
    "provincienaam",
    "jaar",
)


class CbsGemeenten(Pipeline):
    layer = "gemeenten"
    source = SourceInfo(
        key="cbs_wijkbuurtkaart_gemeenten_2023",
        publisher="CBS / Kadaster (Wijk- en Buurtkaart 2023)",
        licence="CC BY 4.0",
        data_as_of="2023-01-01",
        url="https://service.pdok.nl/cbs/wijkenbuurten/2023/wfs/v1_0",
    )
    demo_files = ("boundaries/gemeenten_2023_cbs.geojson",)
    required = ("code", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        frame = frame[frame["gemeentecode"] != "GM0998"]  # CBS placeholder 'Buitenland'
        present = [c for c in KEY_FIGURES if c in frame.columns]
        out = gpd.GeoDataFrame(
            {
                "source_ref": frame["gemeentecode"],
                "code": frame["gemeentecode"],
                "name": frame["gemeentenaam"],
                "category": None,
                "props": frame[present].to_dict("records"),
            },
            geometry=frame.geometry.to_numpy(),
            crs=frame.crs,
        )
        return out


PIPELINE = CbsGemeenten
