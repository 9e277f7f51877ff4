"""The regions of every gemeente: centrumgemeente (shelter, sheltered housing), GGD, Wmo.

Inputs: the Regioatlas exports of the Ministry of BZK (``;``-separated CSV, UTF-8 with BOM),
one per kind of region, recognised by the header of its third column:

* ``Centrumgemeente maatschappelijke opvang & beschermd wonen``: the centrumgemeente that
  organises and funds shelter (maatschappelijke opvang) and sheltered housing (beschermd
  wonen) for the gemeente; homeless care is shared within these 43 regions;
* ``GGD's``: the gemeente's GGD (public health service) region;
* ``WMO-regio's``: its Wmo region (the social-support act's cooperation region).

Each has ``Gemeente`` (name), ``CBS`` (the four-digit CBS gemeente code) and ``Inwoneraantal
van regio`` (the region's population). Bundled: the three files of the 2017-2019 division
(``regions/regioatlas_*.csv``, via openstate/datasets). Gemeenten merged after it (Altena, Land
van Cuijk, Maashorst, Dijk en Waard, Voorne aan Zee, …) have no row; rows of gemeenten that
were merged since keep their old code, as the source has it.

Output: one ``gemeente_region`` row per gemeente (a table without geometry, layer
``regions``): ``source_ref`` and ``code`` = ``GM`` + the CBS code, ``name`` = the gemeente,
``centrumgemeente`` and ``centrumgemeente_code`` (its own row's code; the file writes two of
them by their short names, Den Bosch and Den Haag), ``ggd_region``, ``wmo_region``, and in
``props`` the population of each region and the division's years. The API joins it on the
gemeente code (``GET /api/gemeenten``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.declarations import Pipeline, SourceInfo
from etl.readers import plain_records, read_table, text
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

KINDS = {  # third column of the export -> (our column, the region population's props key)
    "centrumgemeente maatschappelijke opvang & beschermd wonen": (
        "centrumgemeente",
        "inwoners_centrumgemeente_regio",
    ),
    "ggd's": ("ggd_region", "inwoners_ggd_regio"),
    "wmo-regio's": ("wmo_region", "inwoners_wmo_regio"),
}
# names the centrumgemeente column uses for gemeenten the Gemeente column spells officially
SHORT_NAMES = {"Den Bosch": "'s-Hertogenbosch", "Den Haag": "'s-Gravenhage"}
DIVISION = "2017-2019"


def read_export(path: Path) -> tuple[str, str, pd.DataFrame]:
    """One Regioatlas export: (our column, population key, frame of code, name, region, n)."""
    frame = read_table(path, layer="regions")
    frame.columns = [str(c).strip() for c in frame.columns]
    kind = KINDS.get(frame.columns[2].lower()) if len(frame.columns) >= 4 else None
    if kind is None or not {"Gemeente", "CBS"} <= set(frame.columns):
        raise SourceFileError(
            f"regions: {path.name} is not a Regioatlas export (Gemeente;CBS;<region>;"
            "Inwoneraantal van regio)"
        )
    digits = text(frame["CBS"]).str.zfill(4)
    out = pd.DataFrame(
        {
            "code": ("GM" + digits).where(digits.str.fullmatch(r"\d{4}").fillna(False)),
            "name": text(frame["Gemeente"]),
            "region": text(frame.iloc[:, 2]),
            "population": pd.to_numeric(text(frame.iloc[:, 3]), errors="coerce").astype("Int64"),
        }
    )
    return kind[0], kind[1], out


class Regioatlas(Pipeline):
    layer = "regions"
    source = SourceInfo(
        key="regioatlas_2017_2019",
        publisher="Regioatlas, Ministerie van BZK (via openstate/datasets)",
        licence="Not stated; a public government register",
        data_as_of=DIVISION,
        url="https://www.regioatlas.nl",
    )
    demo_files = (
        "regions/regioatlas_centrumgemeentemaatschappelijkeopvangbeschermdwonen.csv",
        "regions/regioatlas_ggds.csv",
        "regions/regioatlas_wmoregios.csv",
    )
    required = ("code", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        merged: pd.DataFrame | None = None
        populations: list[str] = []
        for path in paths:
            column, population, frame = read_export(path)
            part = frame.rename(columns={"region": column, "population": population})
            populations.append(population)
            merged = (
                part
                if merged is None
                else merged.merge(part, on="code", how="outer", suffixes=("", "_other"))
            )
            if "name_other" in merged:
                merged["name"] = merged["name"].fillna(merged.pop("name_other"))
        if merged is None:
            raise SourceFileError("regions: no input file")
        merged = merged.reindex(
            columns=["code", "name", *(c for c, _ in KINDS.values()), *populations]
        )
        by_name = merged.dropna(subset=["code"]).drop_duplicates("name").set_index("name")["code"]
        official = merged["centrumgemeente"].replace(SHORT_NAMES)
        props = merged[populations].assign(division=DIVISION)
        return gpd.GeoDataFrame(
            {
                "source_ref": merged["code"],
                "code": merged["code"],
                "name": merged["name"],
                "centrumgemeente": merged["centrumgemeente"],
                "centrumgemeente_code": official.map(by_name),
                "ggd_region": merged["ggd_region"],
                "wmo_region": merged["wmo_region"],
                "props": plain_records(props),
            },
            geometry=np.full(len(merged), None, dtype=object),
            crs=RD,
        )


PIPELINE = Regioatlas
