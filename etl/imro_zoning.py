"""IMRO bestemmingsplannen (ruimtelijkeplannen.nl): Enkelbestemming zoning areas.

Input: one or more IMRO GML files (IMRO2008 or IMRO2012, one plan per file, named
``NL.IMRO.<overheidscode>.<plan>-<versie>.gml``), each streamed once with lxml; the geometry is
read by :mod:`etl.gml` (``Surface``/``PolygonPatch`` with ``LinearRing`` or ``Ring`` of
curves, whose ``Arc`` segments are stroked to within 0.01 m of the true arc, every written
vertex kept). Why not GDAL's GML driver (it read these files before): see :mod:`etl.gml`.
Coordinates are EPSG:28992 (RD New, metres), as IMRO prescribes. Output: ``area`` rows, layer
``zoning``, geometry in EPSG:28992.

Per plan file:

* the ``Bestemmingsplangebied`` feature gives the plan id (its ``identificatie``, the
  NEN3610ID ``namespace.lokaalID-versie`` or ``gml:id``; the file name as a fallback), naam,
  planstatus, datum, type and overheid;
* the IMRO version (IMRO2008 / IMRO2012) is taken from the ``imro`` XML namespace;
* every ``Enkelbestemming`` becomes one row: category = bestemmingshoofdgroep (lower case, e.g.
  ``kantoor``, ``wonen``), name = naam, code = plan id. ``source_ref`` is
  ``<plan id>/<object identificatie>``: IMRO2008 files often number their objects locally
  (``NL.IMRO.90``), so the bare identificatie is not unique across plans.

Only Enkelbestemming is loaded: it decides the zoning class of a location. Dubbelbestemming
(overlays such as archaeology or a pipeline zone), Bouwvlak, Functieaanduiding and the other
plan objects are left for later. A plan without any Enkelbestemming (a *paraplu* plan, which
changes other plans' rules in its area) gives no rows; the run's message names it.

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
from lxml import etree

from etl.declarations import OnlineSource, Pipeline, SourceInfo
from etl.gml import (
    READ_ERRORS,
    Geometries,
    gml_id,
    iter_features,
    local_name,
    read_error,
    text_of,
)
from etl.readers import plain_records, read_vector
from etl.ruimtelijkeplannen import RP_URL, RUIMTELIJKEPLANNEN
from sitefinder.core.errors import SourceFileError

IMRO_NAMESPACE = re.compile(r"http://www\.geonovum\.nl/imro/(\d{4})/")
PLAN_TYPE = "Bestemmingsplangebied"
OBJECT_TYPE = "Enkelbestemming"
NEN3610 = "{*}identificatie/{*}NEN3610ID/{*}"
# field -> ElementPath under the feature: the names GDAL's GML driver gives these elements
OBJECT_FIELDS = {
    "identificatie": "{*}identificatie",  # IMRO2008: the id as text
    "namespace": NEN3610 + "namespace",  # IMRO2012: NEN3610ID
    "lokaalID": NEN3610 + "lokaalID",
    "versie": NEN3610 + "versie",
    "naam": "{*}naam",
    "bestemmingshoofdgroep": "{*}bestemmingshoofdgroep",
    "artikelnummer": "{*}artikelnummer",
}
PLAN_FIELDS = {
    **{k: v for k, v in OBJECT_FIELDS.items() if k in ("identificatie", "namespace", "lokaalID")},
    "versie": NEN3610 + "versie",
    "naam": "{*}naam",
    "planstatus": "{*}planstatusInfo//{*}planstatus",
    "datum": "{*}planstatusInfo//{*}datum",
    "typePlan": "{*}typePlan",
    "naamOverheid": "{*}naamOverheid",
}


def imro_version(tag: str) -> str | None:
    """``IMRO2008`` / ``IMRO2012`` from an IMRO element's namespace, else None."""
    match = IMRO_NAMESPACE.search(tag)
    return f"IMRO{match.group(1)}" if match else None


def _fields(element: etree._Element, paths: Mapping[str, str]) -> dict[str, str | None]:
    return {"gml_id": gml_id(element)} | {k: text_of(element, p) for k, p in paths.items()}


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


def _plan_metadata(plan: dict[str, str | None] | None, stem: str) -> dict[str, str | None]:
    """The plan fields kept in ``props`` (from the file's Bestemmingsplangebied)."""
    if plan is None:
        return {"plan_id": stem, "plan_naam": None, "planstatus": None, "plan_datum": None}
    first = pd.DataFrame([plan])
    datum = pd.to_datetime(first["datum"], errors="coerce").dt.strftime("%Y-%m-%d")

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
    """The Enkelbestemming rows of one IMRO plan file, in the target ``area`` columns.

    The file is streamed once (``lxml``): its ``Bestemmingsplangebied`` gives the plan fields,
    each ``Enkelbestemming`` a row, with its ``imro:geometrie`` read by :class:`etl.gml.Geometries`
    (arcs stroked to 1 cm; EPSG:28992). A plan without Enkelbestemming (a paraplu plan) gives no
    rows. Broken XML, or a file with neither, raise :class:`SourceFileError` (one line).
    """
    plan: dict[str, str | None] | None = None
    records: list[dict[str, str | None]] = []
    geometries = Geometries()
    version: str | None = None
    try:
        with path.open("rb") as handle:
            for element in iter_features(handle, PLAN_TYPE, OBJECT_TYPE):
                if local_name(element) == PLAN_TYPE:
                    plan = plan or _fields(element, PLAN_FIELDS)
                    continue
                version = version or imro_version(str(element.tag))
                geometries.add(element.find("{*}geometrie"), len(records))
                records.append(_fields(element, OBJECT_FIELDS))
    except READ_ERRORS as exc:
        raise read_error("zoning", path.name, exc) from exc
    if plan is None and not records:
        raise SourceFileError(f"zoning: {path.name} holds no IMRO {PLAN_TYPE} (not an IMRO plan?)")
    objects = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=["gml_id", *OBJECT_FIELDS]),
        geometry=geometries.build(len(records)),
        crs=geometries.crs(f"zoning: {path.name}"),
    )
    metadata = _plan_metadata(plan, path.name.removesuffix(".gml"))
    return _zoning_rows(
        objects,
        _object_ids(objects),
        str(metadata["plan_id"]),
        {k: v for k, v in metadata.items() if v is not None},
        version,
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
        empty = [Path(p).name for p, f in zip(paths, frames, strict=True) if f.empty]
        if empty:
            self.notes.append(
                f"no {OBJECT_TYPE} in {', '.join(empty)} (a paraplu plan?): nothing loaded from it"
            )
        crs = next((f.crs for f in frames if f.crs is not None), None)
        if any(f.crs is not None and f.crs != crs for f in frames):
            frames = [f.to_crs(crs) if f.crs is not None else f for f in frames]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


PIPELINE = ImroZoning
