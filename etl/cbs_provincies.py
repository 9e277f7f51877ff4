"""CBS Wijk- en Buurtkaart 2023: provincies (provincial boundaries).

Input: a GeoJSON/GeoPackage of the 12 provinces with ``statcode`` (PV20…PV31),
``provincienaam``, ``aantalInwoners`` and ``aantal_gemeenten``, in any CRS (the bundled file is
derived from the CBS gemeenten 2023 by a dissolve on provinciecode, CRS84 / EPSG:4326 degrees).
Output: ``area`` rows, layer ``provincies``, code ``PV..``, geometry in EPSG:28992 (metres).

Online (``sitefinder etl run provincies --online``): the PDOK OGC API Features service CBS
Gebiedsindelingen ``https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1``, collection
``provincie_gegeneraliseerd`` (generalised boundaries), GeoJSON in CRS84 (degrees), with
``statcode`` (PV20…PV31), ``statnaam`` and ``jaarcode``: the collection holds one edition per
year (12 provinces × every year), so only the newest ``jaarcode`` of each province is loaded
and the older editions are left out (counted in the run's note). It has no key figures
(``props`` stays empty). Verified from published clients of the service: the landing page, the
collection name, ``statcode``/``statnaam``/``jaarcode`` and several years per collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.ogcapi import OGC_API
from etl.readers import read_vector
from sitefinder.core.errors import SourceFileError

# Key figures kept in ``props`` (counts; numbers, not strings).
KEY_FIGURES = ("aantalInwoners", "aantal_gemeenten")
PDOK_OGC_BASE = "https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1"


class CbsProvincies(Pipeline):
    layer = "provincies"
    source = SourceInfo(
        key="cbs_wijkbuurtkaart_provincies_2023",
        publisher="CBS / Kadaster (Wijk- en Buurtkaart 2023, dissolved to provinces)",
        licence="CC BY 4.0",
        data_as_of="2023-01-01",
        url="https://service.pdok.nl/cbs/wijkenbuurten/2023/wfs/v1_0",
    )
    online = OnlineSource.service(
        OGC_API,
        PDOK_OGC_BASE,
        key="pdok_ogc_cbs_gebiedsindelingen_provincies",
        publisher="CBS / Kadaster (CBS Gebiedsindelingen, PDOK OGC API)",
        licence="CC BY 4.0",
        collection="provincie_gegeneraliseerd",
    )
    demo_files = ("boundaries/provincies_2023_derived.geojson",)
    required = ("code", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        self.notes.clear()
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        if "provincienaam" not in frame.columns and "statnaam" in frame.columns:
            frame = frame.rename(columns={"statnaam": "provincienaam"})
        missing = [c for c in ("statcode", "provincienaam") if c not in frame.columns]
        if missing:
            raise SourceFileError(f"provincies: field(s) {', '.join(missing)} not in the input")
        if "jaarcode" in frame.columns:  # CBS Gebiedsindelingen: one edition per year
            year = pd.to_numeric(frame["jaarcode"], errors="coerce")
            newest = year.groupby(frame["statcode"]).transform("max")
            keep = (year == newest) | newest.isna()
            if not keep.all():
                years = sorted({int(v) for v in year[keep].dropna()})
                self.notes.append(
                    f"kept jaarcode {', '.join(map(str, years))} (the newest of each province);"
                    f" {int((~keep).sum())} features of older years left out"
                )
            frame = frame.loc[keep.to_numpy()]
        figures = pd.DataFrame(
            {c: pd.to_numeric(frame[c], errors="coerce") for c in KEY_FIGURES if c in frame},
            index=frame.index,
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
