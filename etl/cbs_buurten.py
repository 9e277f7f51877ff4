"""CBS Kerncijfers Wijken en Buurten: buurten (neighbourhoods) with a few key figures.

Inputs (any CRS):

* a GeoJSON/GeoPackage/GeoParquet-derived file of CBS neighbourhoods with ``BU_CODE``,
  ``BU_NAAM`` and the KWB short column names (the bundled demo file holds the Amsterdam
  buurten, CRS84 / EPSG:4326 degrees; the year is not stored, the carrying repository calls it
  ``kwb_21``);
* the CBS/PDOK Wijk- en Buurtkaart GeoPackage (``wijkenbuurten_YYYY_v*.gpkg``; EPSG:28992),
  layer ``buurten`` (``buurtcode``, ``buurtnaam``, ``wijkcode``, ``gemeentecode``,
  ``gemeentenaam``, ``water``, ``aantalInwoners``, ``aantalHuishoudens``, …; the same
  camelCase names as the PDOK WFS ``wijkenbuurten`` service, whose GeoJSON is read too), or,
  when the file has no ``buurten`` layer, layer ``wijken`` (``wijkcode``, ``wijknaam``).
  Features flagged ``water = 'JA'`` (the water parts CBS delivers separately) are left out.
  The camelCase key figures are stored under the KWB names below (``aantalInwoners`` ->
  ``a_inw`` …) so that ``props`` is the same whichever file was read; the KWB distance
  figures (``g_afs_hp``, ``g_afs_gs``) are not in the GeoPackage.

Online (``sitefinder etl run buurten --online [--gemeente|--provincie|--bbox]``): the PDOK
OGC API Features service ``https://api.pdok.nl/cbs/wijken-en-buurten-2023/ogc/v1``, collection
``buurten``, GeoJSON in CRS84 (degrees), every page (with an area, its bounding box only). Its
properties are the GeoPackage's in snake_case (``buurtcode``, ``buurtnaam``, ``gemeentecode``,
``water``, ``aantal_inwoners``, ``bevolkingsdichtheid_inwoners_per_km2`` …; the collections
``buurten``/``wijken``/``gemeenten`` and the snake_case names are verified from published
clients of the 2023 service, the full list of figure names is assumed to follow the
GeoPackage's camelCase names); both spellings are read. Load it by area: the country has some
14,000 buurten.

Output: ``area`` rows, layer ``buurten``, ``code`` = ``source_ref`` = ``BU........`` (or
``WK......`` for wijken), ``category`` ``buurt`` / ``wijk``, geometry in EPSG:28992 (metres).

Missing values: CBS marks secret or unknown figures with negative sentinels (-99999999,
-99999997, …); these become ``None``. The bundled file was converted through a data frame that
filled every missing value with ``0``: a key-figure column that is ``0`` in *every* row of the
input therefore carries no information and is stored as missing, not as zero. Numbers that
arrive as text (also with a decimal comma) are parsed; anything unparseable becomes ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.ogcapi import OGC_API
from etl.readers import list_layers, read_vector, snake_case
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

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


# PDOK/CBS camelCase field -> KWB short name (only the figures in KEY_FIGURES).
PDOK_FIGURES = {
    "aantalInwoners": "a_inw",
    "aantalHuishoudens": "a_hh",
    "gemiddeldeHuishoudsgrootte": "g_hhgro",
    "bevolkingsdichtheidInwonersPerKm2": "bev_dich",
    "woningvoorraad": "a_woning",
    "gemiddeldeWoningwaarde": "g_woz",
    "percentageLeegstandWoningen": "p_leegsw",
    "oppervlakteTotaalInHa": "a_opp_ha",
    "oppervlakteLandInHa": "a_lan_ha",
    "stedelijkheidAdressenPerKm2": "ste_mvs",
    "omgevingsadressendichtheid": "ste_oad",
}


PDOK_OGC_BASE = "https://api.pdok.nl/cbs/wijken-en-buurten-2023/ogc/v1"


def pdok_snake_case(name: str) -> str:
    """The PDOK OGC API's name of a camelCase CBS field: ``aantalInwoners`` ->
    ``aantal_inwoners``, ``percentagePersonen0Tot15Jaar`` -> ``percentage_personen_0_tot_15_jaar``
    (``…PerKm2`` stays ``…_per_km2``)."""
    return re.sub(r"(?<=[a-z])(?<!km)(?=\d)", "_", snake_case(name))


# The same figures under the OGC API's snake_case names.
PDOK_SNAKE_FIGURES = {pdok_snake_case(k): v for k, v in PDOK_FIGURES.items()}


def _read(path: Path) -> tuple[gpd.GeoDataFrame, str]:
    """The buurten (or, without them, wijken) of ``path`` and the level read."""
    if path.suffix.lower() == ".gpkg":
        names = {n.lower(): n for n, _ in list_layers(path)}
        for level in ("buurten", "wijken"):
            if level in names:
                return read_vector(path, layer=names[level]), level
    frame = read_vector(path)
    if "buurtcode" in frame.columns or "BU_CODE" in frame.columns:
        return frame, "buurten"
    if "wijkcode" in frame.columns and "wijknaam" in frame.columns:
        return frame, "wijken"
    return frame, "buurten"


def _standard(frame: gpd.GeoDataFrame, level: str, path: Path) -> gpd.GeoDataFrame:
    """A PDOK-shaped frame renamed to the KWB columns (BU_CODE, BU_NAAM, a_inw, …)."""
    if "BU_CODE" in frame.columns:
        return frame
    code, name = ("buurtcode", "buurtnaam") if level == "buurten" else ("wijkcode", "wijknaam")
    absent = [c for c in (code, name) if c not in frame.columns]
    if absent:
        raise SourceFileError(
            f"buurten: {path.name} has neither BU_CODE/BU_NAAM nor {', '.join(absent)}"
        )
    if "water" in frame.columns:
        water = frame["water"].astype("string").str.strip().str.upper() == "JA"
        frame = frame.loc[~water.fillna(False).to_numpy(dtype=bool)]
    figures = {**PDOK_SNAKE_FIGURES, **PDOK_FIGURES}  # the OGC API's names, the GeoPackage's
    renamed = frame.rename(columns={code: "BU_CODE", name: "BU_NAAM", **figures}).loc[
        :, lambda f: ~f.columns.duplicated()
    ]
    return gpd.GeoDataFrame(renamed, geometry=frame.geometry.name, crs=frame.crs)


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
    online = OnlineSource.service(
        OGC_API,
        PDOK_OGC_BASE,
        key="pdok_ogc_cbs_wijken_en_buurten_2023_buurten",
        publisher="CBS / Kadaster (Wijken en Buurten 2023, PDOK OGC API)",
        licence="CC BY 4.0",
        collection="buurten",
    )
    demo_files = ("boundaries/amsterdam_buurten_kwb.geojson",)
    required = ("code", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        parts = []
        for path in paths:
            frame, level = _read(path)
            if frame.crs is None:
                raise SourceFileError(f"buurten: {path.name} has no coordinate reference system")
            frame = _standard(frame, level, path)
            parts.append(frame.to_crs(RD).assign(_level="buurt" if level == "buurten" else "wijk"))
        frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=RD)
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
                "category": frame["_level"],
                "props": props.to_dict("records"),
            },
            geometry=frame.geometry.to_numpy(),
            crs=RD,
        )


PIPELINE = CbsBuurten
