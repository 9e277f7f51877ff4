"""Hospitals and outpatient clinics (VZinfo/RIVM 2016 list, geocoded).

Input: a point GeoJSON/GeoPackage with ``ziekenhuisnummer``, ``naam_ziekenhuis``,
``naam_organisatie``, ``soort_ziekenhuis``, ``adres``, ``postcode`` and ``plaats``, in any CRS
(the bundled file holds 265 locations, CRS84 / EPSG:4326 degrees). Output: ``poi`` rows, layer
``care``, ``source_ref`` = ziekenhuisnummer as an integer string (``'102404'``), geometry in
EPSG:28992 (metres).

``category``: ``hospital`` for general, academic and children's hospitals (soort ending in
"ziekenhuis"), ``outpatient_clinic`` for a Buitenpolikliniek (the source also spells it
"Buitenpoliklniek" once); matching ignores case. Any other soort leaves the category empty and
the record is quarantined.

Licence note: the coordinates were geocoded with Google's API by the carrying repository, whose
terms may restrict reuse; re-geocode with the PDOK Locatieserver before production use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from etl.framework import Pipeline, SourceInfo, read_vector


def care_category(soort: pd.Series) -> pd.Series:
    """soort_ziekenhuis -> ``hospital`` / ``outpatient_clinic``; None for anything else."""
    text = soort.astype("string").str.strip().str.lower()
    category = pd.Series(None, index=soort.index, dtype=object)
    category[text.str.endswith("ziekenhuis").fillna(False).to_numpy(dtype=bool)] = "hospital"
    outpatient = text.str.startswith("buitenpoli").fillna(False).to_numpy(dtype=bool)
    category[outpatient] = "outpatient_clinic"
    return category


def integer_ids(values: pd.Series) -> pd.Series:
    """Numeric ids (often read as floats, 102404.0) as integer strings; NA when not whole."""
    number = pd.to_numeric(values, errors="coerce")
    whole = number.where(number % 1 == 0)
    return whole.astype("Int64").astype("string")


class RivmHospitals(Pipeline):
    layer = "care"
    source = SourceInfo(
        key="rivm_vzinfo_ziekenhuizen_2016",
        publisher="RIVM / VZinfo (ziekenhuislocaties 2016); coordinates geocoded with Google",
        licence=(
            "List: RIVM/VZinfo open data. Coordinates: geocoded with Google's API by the carrying"
            " repository, whose terms may restrict reuse; re-geocode with PDOK Locatieserver"
            " before production use"
        ),
        data_as_of="2016",
        url="https://www.vzinfo.nl/ziekenhuiszorg/aanbod/locaties",
    )
    demo_files = ("care/ziekenhuizen_2016_rivm_geocoded.geojson",)
    required = ("category", "name")

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frame = pd.concat([read_vector(p) for p in paths], ignore_index=True)
        props = pd.DataFrame(
            {
                "organisation": frame["naam_organisatie"],
                "organisatienummer": integer_ids(frame["organisatienummer"]),
                "address": frame["adres"],
                "postcode": frame["postcode"],
                "plaats": frame["plaats"],
                "soort": frame["soort_ziekenhuis"],
            }
        ).astype(object)
        props = props.where(props.notna(), None)
        return gpd.GeoDataFrame(
            {
                "source_ref": integer_ids(frame["ziekenhuisnummer"]),
                "name": frame["naam_ziekenhuis"],
                "category": care_category(frame["soort_ziekenhuis"]),
                "props": props.to_dict("records"),
            },
            geometry=frame.geometry.to_numpy(),
            crs=frame.crs,
        )


PIPELINE = RivmHospitals
