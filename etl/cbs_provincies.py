"""CBS Wijk- en Buurtkaart 2023: provincies (provincial boundaries).

Input: a GeoJSON/GeoPackage of the 12 provinces with ``statcode`` (PV20…PV31),
``provincienaam``, ``aantalInwoners`` and ``aantal_gemeenten``, in any CRS (the bundled file is
derived from the CBS gemeenten 2023 by a dissolve on provinciecode, CRS84 / EPSG:4326 degrees).
Output: ``area`` rows, layer ``provincies``, code ``PV..``, geometry in EPSG:28992 (metres).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.framework import Pipeline, SourceInfo, read_vector

# Key figures kept in ``props`` (counts; numbers, not strings).
KEY_FIGURES = ("aantalInwoners", "aantal_gemeenten")


class CbsProvincies(Pipeline):
    layer = "provincies"
    source = SourceInfo(
        key="cbs_wijkbuurtkaart_provincies_2023",
        publisher="CBS / Kadaster (Wijk- en Buurtkaart 2023, dissolved to provinces)",
        licence="CC BY 4.0",
        data_as_of="2023-01-01",
        url="https://service.pdok.nl/cbs/wijkenbuurten/2023/wfs/v1_0",
    )
    demo_files = ("boundaries/provincies_2023_derived.geojson",)
    required = ("code", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        figures = pd.DataFrame(
            {c: pd.to_numeric(frame[c], errors="coerce") for c in KEY_FIGURES if c in frame}
        )
        # Counts are whole numbers; store them as JSON integers, missing as None.
        figures = figures.round().astype("Int64").astype(object)
        figures = figures.where(figures.notna(), None)
        return gpd.GeoDataFrame(
            {
                "source_ref": frame["statcode"],
                "code": frame["statcode"],
                "name": frame["provincienaam"],
                "category": None,
                "props": figures.to_dict("records"),
            },
            geometry=frame.geometry.to_numpy(),
            crs=frame.crs,
        )


PIPELINE = CbsProvincies
