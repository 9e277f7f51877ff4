"""IMRO bestemmingsplannen (ruimtelijkeplannen.nl): Enkelbestemming zoning areas.

Input: one or more IMRO GML files (IMRO2008 or IMRO2012, one plan per file, named
``NL.IMRO.<overheidscode>.<plan>-<versie>.gml``), read through GDAL's GML driver with the
open option ``WRITE_GFS=NO`` so that no ``.gfs`` schema file is written next to the data.
Coordinates are EPSG:28992 (RD New, metres), as IMRO prescribes; arcs are linearised by GDAL.
Output: ``area`` rows, layer ``zoning``, geometry in EPSG:28992.

Per plan file:

* the ``Bestemmingsplangebied`` feature gives the plan id (its ``identificatie`` or
  ``gml:id``; the file name as a fallback), naam, planstatus, datum and overheid;
* the IMRO version (IMRO2008 / IMRO2012) is taken from the ``imro`` XML namespace;
* every ``Enkelbestemming`` becomes one row: category = bestemmingshoofdgroep (lower case, e.g.
  ``kantoor``, ``wonen``), name = naam, code = plan id. ``source_ref`` is
  ``<plan id>/<object identificatie>``: IMRO2008 files often number their objects locally
  (``NL.IMRO.90``), so the bare identificatie is not unique across plans.

Only Enkelbestemming is loaded: it decides the zoning class of a location. Dubbelbestemming
(overlays such as archaeology or a pipeline zone), Bouwvlak, Functieaanduiding and the other
plan objects are left for later.

Online (``sitefinder etl run zoning --online --gemeente GM0664``, an area is required): the
ruimtelijkeplannen.nl API v4 (see :mod:`etl.ruimtelijkeplannen`; needs the setting
``SITEFINDER_RUIMTELIJKEPLANNEN_API_KEY``): the plans that intersect the area and their
enkelbestemming-vlakken, delivered as one GeoJSON file in EPSG:28992 whose properties carry the
same plan and object fields; it gives the same rows as the plans' GML files (``source_ref``
``<plan id>/<object id>``, category the bestemmingshoofdgroep in lower case, …), with
``imro_versie`` unknown (null).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.readers import plain_records, read_vector
from etl.ruimtelijkeplannen import RP_URL, RUIMTELIJKEPLANNEN

GML_OPTIONS = {"WRITE_GFS": "NO"}
IMRO_NAMESPACE = re.compile(rb"http://www\.geonovum\.nl/imro/(\d{4})/")
OBJECT_TYPE = "Enkelbestemming"


def imro_version(path: Path) -> str | None:
    """``IMRO2008`` / ``IMRO2012`` from the XML namespace in the file's header, else None."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    match = IMRO_NAMESPACE.search(head)
    return f"IMRO{match.group(1).decode()}" if match else None


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as strings (missing -> NA); an all-NA series when the column is absent."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    text = frame[column].astype("string").str.strip()
    return text.mask(text == "")


def _object_ids(frame: pd.DataFrame) -> pd.Series:
    """IMRO2008: ``identificatie``; IMRO2012: ``namespace.lokaalID[-versie]``; else ``gml:id``."""
    nen3610 = _text(frame, "namespace") + "." + _text(frame, "lokaalID")
    nen3610 = (nen3610 + "-" + _text(frame, "versie")).fillna(nen3610)
    return _text(frame, "identificatie").fillna(nen3610).fillna(_text(frame, "gml_id"))


def _plan_metadata(path: Path) -> dict[str, str | None]:
    plan = read_vector(path, layer="Bestemmingsplangebied", read_geometry=False, **GML_OPTIONS)
    stem = path.name.removesuffix(".gml")
    if plan.empty:
        return {"plan_id": stem, "plan_naam": None, "planstatus": None, "plan_datum": None}
    first = plan.iloc[:1]
    datum = (
        pd.to_datetime(first["datum"], errors="coerce").dt.strftime("%Y-%m-%d")
        if "datum" in first
        else pd.Series([None])
    )

    def value(series: pd.Series) -> str | None:
        item = series.iloc[0]
        return None if pd.isna(item) else str(item)

    return {
        "plan_id": value(_object_ids(first)) or stem,
        "plan_naam": value(_text(first, "naam")),
        "planstatus": value(_text(first, "planstatus")),
        "plan_datum": value(datum),
        "plan_type": value(_text(first, "typePlan")),
        "overheid": value(_text(first, "naamOverheid")),
    }


def _zoning_rows(
    objects: gpd.GeoDataFrame,
    ids: pd.Series,
    plan_id: str | pd.Series,
    plan: Mapping[str, Any],
    imro_versie: str | None,
) -> gpd.GeoDataFrame:
    """Enkelbestemming ``objects`` in the target ``area`` columns (geometry and CRS as read).

    ``ids`` are the objects' identificaties, ``plan_id`` their plan's id (one for all, or one
    per object), ``plan`` the plan fields kept in ``props`` before the object's own."""
    props = pd.DataFrame(
        {
            **plan,
            "imro_versie": imro_versie,
            "objecttype": OBJECT_TYPE,
            "identificatie": ids,
            "artikelnummer": _text(objects, "artikelnummer"),
            "bestemmingshoofdgroep": _text(objects, "bestemmingshoofdgroep"),
        },
        index=objects.index,
    )
    return gpd.GeoDataFrame(
        {
            "source_ref": plan_id + "/" + ids,
            "code": plan_id,
            "name": _text(objects, "naam"),
            "category": _text(objects, "bestemmingshoofdgroep").str.lower(),
            "props": plain_records(props),
        },
        geometry=objects.geometry.to_numpy(),
        crs=objects.crs,
    )


def read_plan(path: Path) -> gpd.GeoDataFrame:
    """The Enkelbestemming rows of one IMRO plan file, in the target ``area`` columns."""
    plan = _plan_metadata(path)
    objects = read_vector(path, layer=OBJECT_TYPE, **GML_OPTIONS)
    return _zoning_rows(
        objects,
        _object_ids(objects),
        str(plan["plan_id"]),
        {k: v for k, v in plan.items() if v is not None},
        imro_version(path),
    )


API_PLAN_FIELDS = ("plan_id", "plan_naam", "planstatus", "plan_datum", "plan_type", "overheid")


def read_api_plans(path: Path) -> gpd.GeoDataFrame:
    """The Enkelbestemming rows of a ruimtelijkeplannen API GeoJSON (:mod:`etl.ruimtelijkeplannen`)
    in the target ``area`` columns, the same as :func:`read_plan` gives for the plan's GML."""
    objects = read_vector(path)
    return _zoning_rows(
        objects,
        _text(objects, "identificatie"),
        _text(objects, "plan_id"),
        {field: _text(objects, field) for field in API_PLAN_FIELDS},
        None,
    )


class ImroZoning(Pipeline):
    layer = "zoning"
    source = SourceInfo(
        key="imro_bestemmingsplannen",
        publisher="Gemeenten (Goes, Aa en Hunze) via ruimtelijkeplannen.nl",
        licence="Public plan documents (ruimtelijkeplannen.nl); no licence file in the carrier",
        data_as_of="2009-2015 (per plan)",
        url="https://www.ruimtelijkeplannen.nl",
    )
    demo_files = (
        "zoning/NL.IMRO.0664.BPBS02-VG99.gml",
        "zoning/NL.IMRO.0664.BPBS03-ON99.gml",
        "zoning/NL.IMRO.1680.1800030105-0000.gml",
    )
    online = OnlineSource.service(
        RUIMTELIJKEPLANNEN,
        RP_URL,
        key="ruimtelijkeplannen_api_v4_enkelbestemmingen",
        publisher="Bevoegde gezagen via ruimtelijkeplannen.nl (Ruimtelijke Plannen API v4)",
        licence="Public plan documents (ruimtelijkeplannen.nl)",
        collection="bestemmingsvlakken",
    )
    required = ("category",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frames = [
            read_api_plans(Path(p))
            if Path(p).suffix.lower() in (".geojson", ".json")
            else read_plan(Path(p))
            for p in paths
        ]
        crs = next((f.crs for f in frames if f.crs is not None), None)
        if any(f.crs is not None and f.crs != crs for f in frames):
            frames = [f.to_crs(crs) if f.crs is not None else f for f in frames]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


PIPELINE = ImroZoning
