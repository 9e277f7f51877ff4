"""Unbuilt plots: BRK cadastral parcels (DKK) on which no building stands.

Input: DKK parcel polygons (GeoJSON or any GDAL vector format; the bundled files are EPSG:28992,
RD New, metres; any declared CRS is accepted) with ``identificatie``, ``kadastrale_gemeente``,
``sectie``, ``perceelnummer``, ``akr_kadastrale_gemeentecode`` and ``kadastrale_grootte_m2``.
Bundled: 8 parcels at the Zuidas, Amsterdam (DKK v4) and 11 in Otterlo, Ede (DKK v5).

Output: ``site`` rows, layer ``plots`` (kind ``kavel``), EPSG:28992 polygons.
``source_ref`` = ``identificatie``; ``name`` = the parcel designation
``"<kadastrale gemeente> <sectie> <perceelnummer>"`` (``Otterlo B 2318``); ``area_m2`` = the
registered ``kadastrale_grootte_m2`` (m², not the drawn polygon's area); ``props``:
``kadastrale_gemeente``, ``sectie``, ``perceelnummer``, ``akr_code``, ``places``.
``name`` and ``area_m2`` are required: a parcel without them is quarantined.

Places: ``places = min(floor(area_m2 / 50), 60)``: temporary modular homes
(flexwoningen of about 25-30 m²) at one place per 50 m² of parcel, which leaves room for paths,
parking, green and distance between units; capped at 60 places per site, the scale above
which a single location for this group is no longer small-scale. A planning estimate only.

Built or not is decided in PostGIS on the staged rows (:meth:`BrkPlots.stage_sql`), against
the building footprints already loaded in the ``area`` layers ``bag_panden`` and
``bgt_panden`` (hence ``depends_on``), in this order:

1. **built**: the parcel overlaps the union of the buildings touching it by at least 10 m², or
   by at least 5 % of the parcel's area (small parcels). Such a parcel is simply not a
   candidate: it is deleted from the stage (not an error, not quarantined). A building seen
   anywhere counts, even outside a layer's coverage: the BAG sample is incomplete, but what it
   shows is there.
2. **cannot be judged**: a remaining parcel not covered (``ST_CoveredBy``) by the union of the
   building layers' coverage (``layer_coverage``: BGT's is the hull of its features, the BAG
   sample's the union of its footprints) has no building data to say it is empty. It is
   moved to the quarantine with the reason ``no building data covers this parcel: cannot tell
   whether it is built on``.
3. the rest are unbuilt plots and load.

With the bundled data: the 11 Otterlo parcels lie inside the BGT hull and are all judged:
8 built (overlaps of 74-179 m²) and 3 unbuilt: Otterlo B 2318 (6,345 m²; only 1.5 m² of the
neighbours' walls), B 2320 (a 6 m² strip) and B 2625 (210 m²; 9.0 m² = 4.3 % of a neighbouring
building reaches in, below both limits). The 8 Zuidas parcels touch no sampled BAG pand and lie
outside both coverages, so they are quarantined.

Caveat: the loaded result depends on the building layers' rows, but the framework's
"unchanged" check looks only at this pipeline's input files: after reloading the building
layers, run this pipeline with ``force``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from psycopg import sql

from etl.framework import Pipeline, SourceInfo, Statement, quarantine_staged, read_vector
from sitefinder.errors import SourceFileError

BUILDING_LAYERS = ("bag_panden", "bgt_panden")
BUILT_MIN_OVERLAP_M2 = 10.0
BUILT_MIN_OVERLAP_SHARE = 0.05
M2_PER_PLACE = 50.0
MAX_PLACES = 60
NOT_COVERED_REASON = "no building data covers this parcel: cannot tell whether it is built on"
FIELDS = (
    "identificatie",
    "kadastrale_gemeente",
    "sectie",
    "perceelnummer",
    "akr_kadastrale_gemeentecode",
    "kadastrale_grootte_m2",
)


def _text(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.where(~text.isin(["", "None", "nan", "NaN"]))


class BrkPlots(Pipeline):
    layer = "plots"
    source = SourceInfo(
        key="brk_dkk_percelen",
        publisher="Kadaster (BRK Digitale Kadastrale Kaart, via NLExtract test data)",
        licence="CC BY 4.0 (Kadaster; verify)",
        data_as_of="unknown (NLExtract DKK v4/v5 test extracts)",
        url="https://www.pdok.nl/introductie/-/article/kadastrale-kaart",
    )
    demo_files = (
        "cadastre/brk_dkk_v4_percelen_amsterdam_zuidas_rd.geojson",
        "cadastre/brk_dkk_v5_percelen_otterlo_rd.geojson",
    )
    required = ("name", "area_m2")
    depends_on = BUILDING_LAYERS

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frames: list[gpd.GeoDataFrame] = []
        for path in paths:
            frame = read_vector(path)
            absent = [f for f in FIELDS if f not in frame.columns]
            if absent:
                raise SourceFileError(f"plots: {path.name} lacks the field(s) {', '.join(absent)}")
            if frame.crs is None:
                raise SourceFileError(f"plots: {path.name} has no coordinate reference system")
            frames.append(frame.to_crs(frames[0].crs) if frames else frame)
        frame = pd.concat(frames, ignore_index=True)
        gemeente = _text(frame["kadastrale_gemeente"])
        sectie = _text(frame["sectie"])
        nummer = _text(frame["perceelnummer"])
        area = pd.to_numeric(frame["kadastrale_grootte_m2"], errors="coerce")
        area = area.where(area > 0)
        places = np.minimum(np.floor(area / M2_PER_PLACE), MAX_PLACES).astype("Int64")
        props = pd.DataFrame(
            {
                "kadastrale_gemeente": gemeente,
                "sectie": sectie,
                "perceelnummer": nummer,
                "akr_code": _text(frame["akr_kadastrale_gemeentecode"]),
                "places": places,
            }
        ).astype(object)
        return gpd.GeoDataFrame(
            {
                "source_ref": _text(frame["identificatie"]),
                "name": gemeente + " " + sectie + " " + nummer,
                "gemeentecode": None,
                "area_m2": area.astype(float),
                "floor_area_m2": None,
                "props": props.where(props.notna(), None).to_dict("records"),
                "sources": [
                    [{"source": self.source.key, "source_ref": ref}]
                    for ref in _text(frame["identificatie"])
                ],
            },
            geometry=frame.geometry.to_numpy(),
            crs=frames[0].crs,
        )

    def stage_sql(self) -> Sequence[Statement]:
        layers = sql.SQL(", ").join(sql.Literal(name) for name in BUILDING_LAYERS)
        built = sql.SQL(
            "DELETE FROM stage USING ("
            " SELECT s.id FROM stage s"
            " JOIN area b ON b.layer IN ({layers}) AND ST_Intersects(b.geom, s.geom)"
            " GROUP BY s.id, s.geom"
            " HAVING ST_Area(ST_Intersection(s.geom, ST_Union(b.geom)))"
            "  >= LEAST({min_m2}, {share} * ST_Area(s.geom))"
            ") AS built WHERE stage.id = built.id"
        ).format(
            layers=layers,
            min_m2=sql.Literal(BUILT_MIN_OVERLAP_M2),
            share=sql.Literal(BUILT_MIN_OVERLAP_SHARE),
        )
        not_covered = quarantine_staged(
            self.layer,
            sql.SQL(
                "NOT coalesce(cover.national, false)"
                " AND (cover.geom IS NULL OR NOT ST_CoveredBy(stage.geom, cover.geom))"
            ),
            sql.Literal(NOT_COVERED_REASON),
            using=sql.SQL("cover"),
            with_=sql.SQL(
                "cover AS (SELECT bool_or(national) AS national, ST_Union(geom) AS geom"
                " FROM layer_coverage WHERE layer IN ({layers}))"
            ).format(layers=layers),
        )
        return (built, not_covered)


PIPELINE = BrkPlots
