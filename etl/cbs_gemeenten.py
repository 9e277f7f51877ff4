"""CBS Wijk- en Buurtkaart: gemeenten (municipal boundaries with key figures).

Input: the CBS/PDOK gemeenten layer as GeoJSON or GeoPackage (any CRS; the bundled file is
CRS84). Output: ``area`` rows, layer ``gemeenten``, code ``GM....``, EPSG:28992.

Online (``sitefinder etl run gemeenten --online``): the PDOK OGC API Features service
``https://api.pdok.nl/cbs/wijken-en-buurten-2023/ogc/v1``, collection ``gemeenten``, read as
GeoJSON in CRS84 (degrees). That service names the key figures in snake_case
(``aantal_inwoners``, ``bevolkingsdichtheid_inwoners_per_km2``, ``oppervlakte_land_in_ha`` …;
checked against published clients of the 2023/2024 services, not against the live service,
which this machine cannot reach) where the bundled WFS-derived file has camelCase
(``aantalInwoners`` …); both are read, and ``props`` keeps the camelCase names. A
``gemeentecode`` of four bare digits gets its ``GM`` prefix, and parts flagged ``water = 'JA'``
(open water, where a service delivers it separately) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.ogcapi import OGC_API
from etl.readers import read_vector, snake_case
from sitefinder.core.errors import SourceFileError

KEY_FIGURES = (
    "aantalInwoners",
    "aantalHuishoudens",
    "bevolkingsdichtheidInwonersPerKm2",
    "oppervlakteLandInHa",
    "provinciecode",
    "provincienaam",
    "jaar",
)
PDOK_OGC_BASE = "https://api.pdok.nl/cbs/wijken-en-buurten-2023/ogc/v1"


def _camel_case_figures(frame: pd.DataFrame) -> pd.DataFrame:
    """The PDOK OGC API's snake_case key figures under the camelCase names used in ``props``."""
    renames = {
        snake_case(c): c for c in KEY_FIGURES if c not in frame.columns and snake_case(c) != c
    }
    return frame.rename(columns={k: v for k, v in renames.items() if k in frame.columns})


class CbsGemeenten(Pipeline):
    layer = "gemeenten"
    source = SourceInfo(
        key="cbs_wijkbuurtkaart_gemeenten_2023",
        publisher="CBS / Kadaster (Wijk- en Buurtkaart 2023)",
        licence="CC BY 4.0",
        data_as_of="2023-01-01",
        url="https://service.pdok.nl/cbs/wijkenbuurten/2023/wfs/v1_0",
    )
    online = OnlineSource.service(
        OGC_API,
        PDOK_OGC_BASE,
        key="pdok_ogc_cbs_wijken_en_buurten_2023_gemeenten",
        publisher="CBS / Kadaster (Wijken en Buurten 2023, PDOK OGC API)",
        licence="CC BY 4.0",
        collection="gemeenten",
    )
    demo_files = ("boundaries/gemeenten_2023_cbs.geojson",)
    required = ("code", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        missing = [c for c in ("gemeentecode", "gemeentenaam") if c not in frame.columns]
        if missing:
            raise SourceFileError(f"gemeenten: field(s) {', '.join(missing)} not in the input")
        frame = _camel_case_figures(frame)
        bare = frame["gemeentecode"].astype("string").str.fullmatch(r"\d{4}")
        bare_mask = bare.fillna(False).to_numpy(dtype=bool)
        frame.loc[bare_mask, "gemeentecode"] = "GM" + frame.loc[bare_mask, "gemeentecode"]
        if "water" in frame.columns:  # open-water parts, where a service delivers them apart
            water = frame["water"].astype("string").str.upper().eq("JA")
            frame = frame[~water.fillna(False).to_numpy(dtype=bool)]
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
