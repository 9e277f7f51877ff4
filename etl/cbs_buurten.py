"""CBS Kerncijfers Wijken en Buurten: buurten (neighbourhoods) with a few key figures.

Input: a GeoJSON/GeoPackage/GeoParquet-derived file of CBS neighbourhoods with ``BU_CODE``,
``BU_NAAM`` and the KWB columns (the bundled file holds the 443 Amsterdam buurten, CRS84 /
EPSG:4326 degrees; the year is not stored, the carrying repository calls it ``kwb_21``).
Output: ``area`` rows, layer ``buurten``, code ``BU........``, geometry in EPSG:28992 (metres).

Missing values: CBS marks secret or unknown figures with negative sentinels (-99999999,
-99999997, …); these become ``None``. The bundled file was converted through a data frame that
filled every missing value with ``0``: a key-figure column that is ``0`` in *every* row of the
input (in the demo file: a_woning, g_woz, p_leegsw, g_afs_hp, g_afs_gs) therefore carries no
information and is stored as missing, not as zero. Numbers that arrive as text (also with a
decimal comma) are parsed; anything unparseable becomes ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.framework import Pipeline, SourceInfo, read_vector

# KWB code -> meaning (unit). Only these go into ``props``; absent columns are skipped.
KEY_FIGURES: dict[str, str] = {
    "a_inw": "inhabitants (count)",
    "a_hh": "households (count)",
    "g_hhgro": "mean household size (persons)",
    "bev_dich": "population density (inhabitants per km2)",
    "a_woning": "dwellings (count)",
    "g_woz": "mean WOZ value of dwellings (x 1000 euro)",
    "p_leegsw": "vacant dwellings (%)",
    "g_afs_hp": "distance to nearest GP practice (km)",
    "g_afs_gs": "distance to nearest large supermarket (km)",
    "a_opp_ha": "total area (ha)",
    "a_lan_ha": "land area (ha)",
    "ste_mvs": "urbanity class (1 = very strongly urban … 5 = not urban)",
    "ste_oad": "address density (addresses per km2)",
}


def parse_kwb_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """KWB figures as floats with CBS sentinels and fill-only columns turned into NaN."""
    text = frame.astype("string").apply(lambda s: s.str.strip().str.replace(",", ".", regex=False))
    values = text.apply(pd.to_numeric, errors="coerce").astype("float64")
    values = values.mask(values < 0)  # CBS sentinels: -99999999 (secret), -99999997, …
    filled = (values.fillna(0) == 0).all() & (len(values) > 1)
    values.loc[:, filled[filled].index] = float("nan")
    return pd.DataFrame(values)


class CbsBuurten(Pipeline):
    layer = "buurten"
    source = SourceInfo(
        key="cbs_kwb_buurten_amsterdam_2021",
        publisher="CBS (Kerncijfers Wijken en Buurten) via EquiCity/thesis",
        licence="CC BY 4.0",
        data_as_of="2021",
        url="https://www.cbs.nl/nl-nl/reeksen/kerncijfers-wijken-en-buurten-2004-2023",
    )
    demo_files = ("boundaries/amsterdam_buurten_kwb.geojson",)
    required = ("code", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        present = [c for c in KEY_FIGURES if c in frame.columns]
        figures = parse_kwb_numbers(frame[present])
        # Whole numbers as JSON integers (a_inw: 1110, not 1110.0), the rest as floats.
        whole = (figures.fillna(0) % 1 == 0).all()
        props = figures.astype(object)
        for column in whole[whole].index:
            props[column] = figures[column].astype("Int64").astype(object)
        props = props.where(figures.notna(), None)
        return gpd.GeoDataFrame(
            {
                "source_ref": frame["BU_CODE"],
                "code": frame["BU_CODE"],
                "name": frame["BU_NAAM"],
                "category": None,
                "props": props.to_dict("records"),
            },
            geometry=frame.geometry.to_numpy(),
            crs=frame.crs,
        )


PIPELINE = CbsBuurten
