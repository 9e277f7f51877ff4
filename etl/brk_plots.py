"""Unbuilt plots: BRK cadastral parcels (DKK) on which no building stands.

Inputs (which reader is used is told by the file, see :meth:`BrkPlots.read`):

* **DKK GML** as Kadaster/PDOK deliver the Digitale Kadastrale Kaart: v4
  (``brkkadastralekaart/v4``, ``kk:brkkadastralekaartMember``) and v5
  (``brkkadastralekaart/v5``, ``kk:perceelMember``), a bare ``.gml`` or a zip whose member
  name contains ``perceel``. Parsed with ``lxml`` (streamed): one ``oz:Perceel`` per record
  with ``ko:identificatie`` (v5: the text; v4: ``t:lokaalID``), ``kadastraleAanduiding``
  (``KadastraleGemeente/t:waarde``, ``sectie``, ``perceelnummer``,
  ``AKRKadastraleGemeenteCode/t:waarde``), ``kadastraleGrootte/TypeOppervlak/waarde`` (m²) and
  the parcel polygon ``oz:begrenzingPerceel`` (any GML surface, read by :mod:`etl.gml`;
  GDAL's GML driver exposes only the ``plaatscoordinaten`` label point, see :mod:`etl.gml`
  for why no GFS template either). Coordinates EPSG:28992 (RD New, metres; the v4 sample
  writes ``srsName="28992"``). Bundled (the default demo input): parcels at the Zuidas,
  Amsterdam (DKK v4) and in Otterlo, Ede (DKK v5).
* **PDOK BRK Kadastrale Kaart OGC API Features** JSON, collection ``perceel``
  (``https://api.pdok.nl/kadaster/brk-kadastrale-kaart/ogc/v1``, the online source below;
  CRS84 degrees by default, any declared CRS is accepted), with the properties
  ``identificatie_lokaal_id``, ``kadastrale_gemeente_waarde``, ``sectie``, ``perceelnummer``,
  ``akr_kadastrale_gemeente_code_waarde`` and ``kadastrale_grootte_waarde`` (m²), as PDOK's
  own column list for that collection names them (these names, the base URL and the collection
  are also what published clients of the live service use). Bundled sample:
  ``cadastre/pdok_ogcapi_perceel_otterlo.json``, the Otterlo GML written in that shape.
* **Derived parcel files** (GeoJSON or any GDAL vector format, any declared CRS) with
  ``identificatie``, ``kadastrale_gemeente``, ``sectie``, ``perceelnummer``,
  ``akr_kadastrale_gemeentecode`` and ``kadastrale_grootte_m2`` (the bundled
  ``brk_dkk_v*_percelen_*_rd.geojson``: the same parcels, derived from the GML; reading them
  gives the same ids, areas and polygons as the GML).

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

With the bundled data the Otterlo parcels lie inside the BGT hull and are all judged; the
Zuidas parcels touch no sampled BAG pand and lie outside both coverages, so they are
quarantined.

Online (``sitefinder etl run plots --online [--gemeente|--provincie|--bbox]``): the parcels
come from the PDOK BRK Kadastrale Kaart OGC API Features service
``https://api.pdok.nl/kadaster/brk-kadastrale-kaart/ogc/v1``, collection ``perceel``, GeoJSON in
CRS84, limited to the area's bounding box and read as the OGC API shape above (the service's
feature ``id`` is a UUID; ``identificatie_lokaal_id`` is the parcel's id). The building layers
are read from the database as always: load ``bag_panden`` and ``bgt_panden`` for the same area
first (``etl run all --online --gemeente …`` does, in dependency order). The country has some
9 million parcels: load it by area.

The loaded result depends on the building layers' rows: the run's checksum includes the
checksums of their last runs (``depends_on``), so reloading a building layer reloads this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from lxml import etree
from psycopg import sql

from etl.declarations import OnlineSource, Pipeline, SourceInfo, Statement
from etl.gml import (
    READ_ERRORS,
    Geometries,
    child_texts,
    iter_features,
    open_members,
    read_error,
    text_of,
)
from etl.loading import quarantine_staged
from etl.ogcapi import OGC_API
from etl.readers import read_vector, text
from layers import m2_per_place
from sitefinder.core.errors import SourceFileError

BUILDING_LAYERS = ("bag_panden", "bgt_panden")
PDOK_OGC_BASE = "https://api.pdok.nl/kadaster/brk-kadastrale-kaart/ogc/v1"
BUILT_MIN_OVERLAP_M2 = 10.0
BUILT_MIN_OVERLAP_SHARE = 0.05
M2_PER_PLACE = m2_per_place("plots")  # declared on the layer's site kind
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
# PDOK BRK Kadastrale Kaart OGC API (collection perceel) property -> our field.
OGC_FIELDS = {
    "identificatie_lokaal_id": "identificatie",
    "kadastrale_gemeente_waarde": "kadastrale_gemeente",
    "sectie": "sectie",
    "perceelnummer": "perceelnummer",
    "akr_kadastrale_gemeente_code_waarde": "akr_kadastrale_gemeentecode",
    "kadastrale_grootte_waarde": "kadastrale_grootte_m2",
}
GML_SUFFIXES = frozenset({".gml", ".xml", ".zip"})
AANDUIDING = "{*}kadastraleAanduiding/{*}TypeKadastraleAanduiding"
WAARDE = "{*}*/{*}waarde"  # the value of a code list item (KadastraleGemeente, AKR code …)


def _perceel_record(perceel: etree._Element) -> dict[str, str | None]:
    aanduiding = perceel.find(AANDUIDING)
    parts = child_texts(aanduiding) if aanduiding is not None else {}

    def code(name: str) -> str | None:
        item = aanduiding.find(f"{{*}}{name}") if aanduiding is not None else None
        return text_of(item, WAARDE) if item is not None else None

    return {
        # v5: <ko:identificatie domein=…>id</…>; v4: <ko:identificatie><t:lokaalID>id</…>
        "identificatie": text_of(perceel, "{*}identificatie/{*}lokaalID")
        or text_of(perceel, "{*}identificatie"),
        "kadastrale_gemeente": code("kadastraleGemeente"),
        "sectie": parts.get("sectie"),
        "perceelnummer": parts.get("perceelnummer"),
        "akr_kadastrale_gemeentecode": code("aKRKadastraleGemeenteCode"),
        "kadastrale_grootte_m2": text_of(
            perceel, "{*}kadastraleGrootte/{*}TypeOppervlak/{*}waarde"
        ),
    }


def read_dkk_gml(path: Path) -> gpd.GeoDataFrame:
    """The ``oz:Perceel`` records of a DKK v4/v5 GML file (or a zip of them) with polygons.

    A parcel whose ``begrenzingPerceel`` is missing or unreadable keeps a null geometry (and
    is quarantined by the framework). Broken XML, a corrupt zip or a file without any
    ``Perceel`` raise :class:`SourceFileError` (one line).
    """
    records: list[dict[str, str | None]] = []
    geometries = Geometries()
    for name, handle in open_members(path, r"perceel.*\.(gml|xml)$", "plots"):
        try:
            for perceel in iter_features(handle, "Perceel"):
                geometries.add(perceel.find("{*}begrenzingPerceel"), len(records))
                records.append(_perceel_record(perceel))
        except READ_ERRORS as exc:
            raise read_error("plots", name, exc) from exc
    if not records:
        raise SourceFileError(f"plots: {path.name} holds no DKK Perceel (not a DKK GML file?)")
    return gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=list(FIELDS)),
        geometry=geometries.build(len(records)),
        crs=geometries.crs(f"plots: {path.name}"),
    )


class BrkPlots(Pipeline):
    layer = "plots"
    source = SourceInfo(
        key="brk_dkk_percelen",
        publisher="Kadaster (BRK Digitale Kadastrale Kaart, via NLExtract test data)",
        licence="CC BY 4.0 (Kadaster; verify)",
        data_as_of="unknown (NLExtract DKK v4/v5 test extracts)",
        url="https://www.pdok.nl/introductie/-/article/kadastrale-kaart",
    )
    online = OnlineSource.service(
        OGC_API,
        PDOK_OGC_BASE,
        key="pdok_ogc_brk_kadastrale_kaart_perceel",
        publisher="Kadaster (BRK Kadastrale Kaart, PDOK OGC API v1)",
        licence="CC BY 4.0 (Kadaster; verify)",
        collection="perceel",
    )
    demo_files = (
        "cadastre/raw/dkk_v4_perceel_amsterdam.gml",
        "cadastre/raw/dkk_v5_kadastralekaart_perceel_otterlo.gml",
    )
    required = ("name", "area_m2")
    depends_on = BUILDING_LAYERS
    # Parcels the building layers do not cover are quarantined by design (cannot be judged):
    # their share follows the coverage of bag_panden/bgt_panden, not this file's quality. A
    # load that can judge none of its parcels is still refused (the loss guard's first rule).
    max_quarantine_share = 1.0

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        """Parcels from DKK GML (v4/v5, ``.gml``/``.xml``/``.zip``) or GDAL-readable files.

        A GDAL file with ``identificatie_lokaal_id`` is read as the PDOK OGC API shape, else
        it must carry :data:`FIELDS`. Every frame is brought to the first file's CRS.
        """
        frames: list[gpd.GeoDataFrame] = []
        for path in paths:
            if path.suffix.lower() in GML_SUFFIXES:
                frame = read_dkk_gml(path)
            else:
                frame = read_vector(path)
                if "identificatie_lokaal_id" in frame.columns:
                    frame = frame.rename(columns=OGC_FIELDS)
            absent = [f for f in FIELDS if f not in frame.columns]
            if absent:
                raise SourceFileError(f"plots: {path.name} lacks the field(s) {', '.join(absent)}")
            if frame.crs is None:
                raise SourceFileError(f"plots: {path.name} has no coordinate reference system")
            frames.append(frame.to_crs(frames[0].crs) if frames else frame)
        frame = pd.concat(frames, ignore_index=True)
        gemeente = text(frame["kadastrale_gemeente"])
        sectie = text(frame["sectie"])
        nummer = text(frame["perceelnummer"])
        area = pd.to_numeric(frame["kadastrale_grootte_m2"], errors="coerce")
        area = area.where(area > 0)
        places = np.minimum(np.floor(area / M2_PER_PLACE), MAX_PLACES).astype("Int64")
        props = pd.DataFrame(
            {
                "kadastrale_gemeente": gemeente,
                "sectie": sectie,
                "perceelnummer": nummer,
                "akr_code": text(frame["akr_kadastrale_gemeentecode"]),
                "places": places,
            }
        ).astype(object)
        return gpd.GeoDataFrame(
            {
                "source_ref": text(frame["identificatie"]),
                "name": gemeente + " " + sectie + " " + nummer,
                "gemeentecode": None,
                "area_m2": area.astype(float),
                "floor_area_m2": None,
                "props": props.where(props.notna(), None).to_dict("records"),
                "sources": [
                    [{"source": self.source.key, "source_ref": ref}]
                    for ref in text(frame["identificatie"])
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
