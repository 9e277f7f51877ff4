"""IMRO plans (ruimtelijkeplannen.nl): the zoning layer as the union of many plans.

Input: one or more IMRO GML files (IMRO2008 or IMRO2012, one plan per file, named
``NL.IMRO.<overheidscode>.<plan>-<versie>.gml``, also gzip-compressed as ``.gml.gz``), each
streamed once with lxml; the geometry is read by :mod:`etl.gml` (``Surface``/``PolygonPatch``
with ``LinearRing`` or ``Ring`` of curves, whose ``Arc`` segments are stroked to within 0.01 m
of the true arc, every written vertex kept; degenerate rings are dropped and counted). Why not
GDAL's GML driver (it read these files before): see :mod:`etl.gml`. Coordinates are EPSG:28992
(RD New, metres), as IMRO prescribes. Output: ``area`` rows, layer ``zoning``, geometry in
EPSG:28992.

**Plans, read as the standard defines them.** The plan area feature gives the plan id (its
``identificatie``: the NEN3610ID ``namespace.lokaalID-versie``, or IMRO2008's text; ``gml:id``
and then the file name as fallbacks), naam, planstatus, datum, typePlan and overheid:

* ``Bestemmingsplangebied``: bestemmingsplan, inpassingsplan, uitwerkingsplan, wijzigingsplan,
  rijksbestemmingsplan, ... (PRBP2012); the plan's main zoning are its **Enkelbestemming**
  objects (class: the bestemmingshoofdgroep);
* ``Besluitgebied_X`` (also ``_A``, ``_P``): the gebiedsgerichte besluiten (PRGB2012). In a
  **beheersverordening** its ``Besluitvlak_X`` objects are the main zoning (they lay down the
  current use; class: the bestemmingshoofdgroep their name starts with, "Wonen - ...",
  else unknown); the besluitvlakken of other besluiten (voorbereidingsbesluit,
  omgevingsvergunning, ...) are overlays;
* overlays in every plan type: **Dubbelbestemming** (Waarde - Archeologie, Leiding - Gas,
  Waterstaat - Waterkering, ...: category its bestemmingshoofdgroep), **Gebiedsaanduiding**
  (category its gebiedsaanduidinggroep: veiligheidszone, geluidzone, overige zone, ...) and
  ``Besluitsubvlak_X``. A *paraplu* plan (no main zoning at all: it changes the rules of the
  plans in force in its area, e.g. the bundled Zaltbommel plan) loads its overlays, with a note;
* a structuurvisie (``Structuurvisieplangebied_*``) is policy, not zoning: nothing is loaded
  from it, with a note. Bouwvlak, Functieaanduiding, Bouwaanduiding, Maatvoering and Figuur
  are not read.

Per object one row: name = naam, code = plan id, category as above (lower case),
``partition_key`` = the plan id without its version (``NL.IMRO.0664.BPBS02``: the layer is
partitioned by plan, so that loading a plan replaces its earlier version and keeps every other
plan, see :mod:`etl.loading`), ``source_ref`` = ``<plan id>/<object identificatie>``
(IMRO2008 files often number their objects locally, ``NL.IMRO.90``). ``props`` holds the plan
fields, ``imro_versie``, ``objecttype``, the object's own fields and the two the zoning
criterion reads: ``zoning_role`` (``bestemming`` for the main zoning, ``overlay``) and
``zoning_class`` (the main zoning's class, lower case; null when unknown). Where plans overlap,
the criterion decides which plan applies (``docs/scoring.md``, plan priority).

A main zoning object without its class (bestemmingshoofdgroep) or a Gebiedsaanduiding without
its group is quarantined with that reason; the framework quarantines what has no geometry.

Online (``sitefinder etl run zoning --online --gemeente GM0664``, an area is required): the
ruimtelijkeplannen.nl API v4 (see :mod:`etl.ruimtelijkeplannen`; needs the setting
``SITEFINDER_RUIMTELIJKEPLANNEN_API_KEY``): the plans that intersect the area and their
bestemmingsvlakken (enkel- and dubbelbestemmingen), delivered as one GeoJSON file in
EPSG:28992 whose properties carry the same plan and object fields; it gives the same rows as
the plans' GML files for those objects (``imro_versie`` unknown, null; gebiedsaanduidingen are
not fetched yet).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from lxml import etree

from etl.declarations import PARTITION_KEY, QUARANTINE_REASON, OnlineSource, Pipeline, SourceInfo
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
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

IMRO_NAMESPACE = re.compile(r"http://www\.geonovum\.nl/imro/(\d{4})/")
# The plan area features (one per file) and the policy documents that hold no zoning.
PLAN_TYPES = ("Bestemmingsplangebied", "Besluitgebied_X", "Besluitgebied_A", "Besluitgebied_P")
POLICY_TYPES = (
    "Structuurvisieplangebied_G",
    "Structuurvisieplangebied_P",
    "Structuurvisieplangebied_R",
)
MAIN_TYPE = "Enkelbestemming"
BESLUITVLAK_TYPES = ("Besluitvlak_X", "Besluitvlak_A", "Besluitvlak_P")
OVERLAY_TYPES = (
    "Dubbelbestemming",
    "Gebiedsaanduiding",
    "Besluitsubvlak_X",
    "Besluitsubvlak_A",
    "Besluitsubvlak_P",
)
OBJECT_TYPES = (MAIN_TYPE, *BESLUITVLAK_TYPES, *OVERLAY_TYPES)
BEHEERSVERORDENING = "beheersverordening"
MAIN, OVERLAY = "bestemming", "overlay"
# The bestemmingshoofdgroepen of IMRO2012 (enkelbestemming): a beheersverordening's besluitvlak
# whose name starts with one of them ("Wonen", "Bedrijf - Nutsvoorziening") has that class.
HOOFDGROEPEN = frozenset(
    {
        "agrarisch",
        "agrarisch met waarden",
        "bedrijf",
        "bedrijventerrein",
        "bos",
        "centrum",
        "cultuur en ontspanning",
        "detailhandel",
        "dienstverlening",
        "gemengd",
        "groen",
        "horeca",
        "kantoor",
        "maatschappelijk",
        "natuur",
        "overig",
        "recreatie",
        "sport",
        "tuin",
        "verkeer",
        "water",
        "wonen",
        "woongebied",
    }
)
VERSION = re.compile(r"-[A-Za-z0-9]{4}$")  # the -versie of an IMRO id (STRI2012)
NEN3610 = "{*}identificatie/{*}NEN3610ID/{*}"
# field -> ElementPath under the feature: the names GDAL's GML driver gives these elements
OBJECT_FIELDS = {
    "identificatie": "{*}identificatie",  # IMRO2008: the id as text
    "namespace": NEN3610 + "namespace",  # IMRO2012: NEN3610ID
    "lokaalID": NEN3610 + "lokaalID",
    "versie": NEN3610 + "versie",
    "naam": "{*}naam",
    "bestemmingshoofdgroep": "{*}bestemmingshoofdgroep",
    "gebiedsaanduidinggroep": "{*}gebiedsaanduidinggroep",
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


def plan_key(plan_id: str) -> str:
    """The partition of a plan: its id without the version (``NL.IMRO.0664.BPBS02-VG99`` ->
    ``NL.IMRO.0664.BPBS02``), so that every version of one plan is the same partition."""
    return VERSION.sub("", plan_id.strip())


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
    """The plan fields kept in ``props`` (from the file's plan area feature)."""
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


def _roles(objecttype: pd.Series, plan_type: pd.Series) -> pd.Series:
    """``bestemming`` (main zoning) or ``overlay`` per object: Enkelbestemming, and the
    Besluitvlak of a beheersverordening, are main zoning; everything else overlays it."""
    besluitvlak = objecttype.str.startswith("Besluitvlak").fillna(False)
    beheer = plan_type.str.lower().eq(BEHEERSVERORDENING).fillna(False)
    main = objecttype.eq(MAIN_TYPE).fillna(False) | (besluitvlak & beheer)
    return pd.Series(np.where(main, MAIN, OVERLAY), index=objecttype.index, dtype="string")


def _categories(
    objects: pd.DataFrame, objecttype: pd.Series, role: pd.Series, plan_type: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """The category (lower case) of each object and the zoning class of the main zoning.

    Category: the bestemmingshoofdgroep (Enkel-, Dubbelbestemming), the gebiedsaanduidinggroep,
    for a besluitvlak the class its name starts with (beheersverordening) or the besluit's
    type (other besluiten); a besluitsubvlak has none.
    """
    hoofdgroep = _text(objects, "bestemmingshoofdgroep").str.lower()
    groep = _text(objects, "gebiedsaanduidinggroep").str.lower()
    named = _text(objects, "naam").str.lower().str.split(" - ").str[0].str.strip()
    named = named.where(named.isin(HOOFDGROEPEN))
    besluitvlak = objecttype.str.startswith("Besluitvlak").fillna(False)
    category = hoofdgroep.fillna(groep)
    category = category.mask(besluitvlak & role.eq(MAIN), named)
    category = category.mask(besluitvlak & role.eq(OVERLAY), plan_type.str.lower())
    zoning_class = category.where(role.eq(MAIN))
    return category, zoning_class


def _reasons(objecttype: pd.Series, objects: pd.DataFrame) -> pd.Series:
    """Why an object cannot be used (a field IMRO makes mandatory is missing), else NA."""
    reason = pd.Series(pd.NA, index=objects.index, dtype="string")
    needs = {
        "bestemmingshoofdgroep": objecttype.isin([MAIN_TYPE, "Dubbelbestemming"]),
        "gebiedsaanduidinggroep": objecttype.eq("Gebiedsaanduiding"),
    }
    for field, wanted in needs.items():
        missing = wanted.fillna(False) & _text(objects, field).isna() & reason.isna()
        reason[missing] = f"missing required field '{field}'"
    return reason


def _zoning_rows(
    objects: gpd.GeoDataFrame,
    ids: pd.Series,
    plan_id: str | pd.Series,
    plan: Mapping[str, Any],
    imro_versie: str | None,
) -> gpd.GeoDataFrame:
    """Plan ``objects`` in the target ``area`` columns (geometry and CRS as read).

    ``objects`` has an ``objecttype`` column (the IMRO feature type; Enkelbestemming when
    absent); ``ids`` are the objects' identificaties, ``plan_id`` their plan's id (one for
    all, or one per object), ``plan`` the plan fields kept in ``props`` before the object's own
    (``plan_type`` among them decides a besluitvlak's role)."""
    index = objects.index
    objecttype = _text(objects, "objecttype").fillna(MAIN_TYPE)
    plan_ids = pd.Series(plan_id, index=index, dtype="string")
    plan_type = pd.Series(plan.get("plan_type"), index=index, dtype="string")  # aligns a Series
    role = _roles(objecttype, plan_type)
    category, zoning_class = _categories(objects, objecttype, role, plan_type)
    props = pd.DataFrame(
        {
            **plan,
            "imro_versie": imro_versie,
            "objecttype": objecttype,
            "identificatie": ids,
            "artikelnummer": _text(objects, "artikelnummer"),
            "bestemmingshoofdgroep": _text(objects, "bestemmingshoofdgroep"),
            "gebiedsaanduidinggroep": _text(objects, "gebiedsaanduidinggroep"),
            "zoning_role": role,
            "zoning_class": zoning_class,
        },
        index=index,
    )
    return gpd.GeoDataFrame(
        {
            "source_ref": plan_ids + "/" + ids,
            "code": plan_ids,
            "name": _text(objects, "naam"),
            "category": category,
            PARTITION_KEY: plan_ids.map(plan_key, na_action="ignore"),
            "props": plain_records(props, empty_as_none=True),
            QUARANTINE_REASON: _reasons(objecttype, objects),
        },
        geometry=objects.geometry.to_numpy(),
        crs=objects.crs,
    )


def open_plan(path: Path) -> IO[bytes]:
    """The file's bytes, uncompressed when it is gzip-compressed (``.gz``)."""
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def plan_name(path: Path) -> str:
    """The file name without ``.gml`` / ``.gml.gz`` (the plan id, by STRI2012's convention)."""
    name = path.name
    for suffix in (".gz", ".gml", ".xml"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


@dataclass
class PlanRead:
    """What one plan file gave: its rows and what the run's message should say about it."""

    rows: gpd.GeoDataFrame
    notes: list[str]


def read_plan_file(path: Path) -> PlanRead:
    """The zoning rows of one IMRO plan file (:func:`read_plan`) and the notes on it: a
    paraplu plan (overlays only), a structuurvisie (nothing), degenerate rings dropped."""
    plan: dict[str, str | None] | None = None
    policy = False
    records: list[dict[str, str | None]] = []
    geometries = Geometries()
    version: str | None = None
    try:
        with open_plan(path) as handle:
            for element in iter_features(handle, *PLAN_TYPES, *POLICY_TYPES, *OBJECT_TYPES):
                kind = local_name(element)
                if kind in PLAN_TYPES:
                    plan = plan or _fields(element, PLAN_FIELDS)
                    continue
                if kind in POLICY_TYPES:
                    policy = True
                    continue
                version = version or imro_version(str(element.tag))
                geometries.add(element.find("{*}geometrie"), len(records))
                records.append(_fields(element, OBJECT_FIELDS) | {"objecttype": kind})
    except (*READ_ERRORS, OSError) as exc:
        raise read_error("zoning", path.name, exc) from exc
    name = plan_name(path)
    if plan is None and not records:
        if policy:
            note = f"{name} is a structuurvisie (policy, no zoning): nothing loaded from it"
            return PlanRead(_zoning_rows_empty(), [note])
        raise SourceFileError(
            f"zoning: {path.name} holds no IMRO plan area (Bestemmingsplangebied or"
            " Besluitgebied): not an IMRO plan?"
        )
    columns = ["gml_id", *OBJECT_FIELDS, "objecttype"]
    objects = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=columns),
        geometry=geometries.build(len(records)),
        crs=geometries.crs(f"zoning: {path.name}"),
    )
    metadata = _plan_metadata(plan, name)
    rows = _zoning_rows(
        objects,
        _object_ids(objects),
        str(metadata["plan_id"]),
        {k: v for k, v in metadata.items() if v is not None},
        version,
    )
    notes = []
    roles = pd.Series([p.get("zoning_role") for p in rows["props"]], dtype="string")
    if len(rows) and not roles.eq(MAIN).any():
        kinds = objects["objecttype"].value_counts().sort_index()
        listed = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        notes.append(
            f"{metadata['plan_id']} is a paraplu plan (no main zoning; it changes the rules of"
            f" the plans in force in its area): its overlays loaded ({listed})"
        )
    if geometries.dropped_rings:
        notes.append(
            f"{metadata['plan_id']}: {geometries.dropped_rings} degenerate ring(s) (fewer than"
            " 3 distinct points) dropped from their areas"
        )
    return PlanRead(rows, notes)


def _zoning_rows_empty() -> gpd.GeoDataFrame:
    """No rows, with every column (EPSG:28992)."""
    empty = gpd.GeoDataFrame({"objecttype": pd.Series([], dtype="string")}, geometry=[], crs=RD)
    return _zoning_rows(empty, pd.Series([], dtype="string"), "", {}, None)


def read_plan(path: Path) -> gpd.GeoDataFrame:
    """The zoning rows of one IMRO plan file, in the target ``area`` columns.

    The file (``.gml`` or ``.gml.gz``) is streamed once (``lxml``): its plan area feature
    (``Bestemmingsplangebied`` / ``Besluitgebied_X``) gives the plan fields, every main zoning
    object and overlay a row, with its ``imro:geometrie`` read by :class:`etl.gml.Geometries`
    (arcs stroked to 1 cm; EPSG:28992). A structuurvisie gives no rows. Broken XML, or a file
    with neither plan nor objects, raise :class:`SourceFileError` (one line).
    """
    return read_plan_file(path).rows


API_PLAN_FIELDS = ("plan_id", "plan_naam", "planstatus", "plan_datum", "plan_type", "overheid")


def read_api_plans(path: Path) -> gpd.GeoDataFrame:
    """The rows of a ruimtelijkeplannen API GeoJSON (:mod:`etl.ruimtelijkeplannen`) in the
    target ``area`` columns, the same as :func:`read_plan` gives for the plan's GML."""
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
        publisher=(
            "Gemeenten (Goes, Aa en Hunze, Arnhem, Apeldoorn, Nissewaard, Zaltbommel)"
            " via ruimtelijkeplannen.nl"
        ),
        licence="Public plan documents (ruimtelijkeplannen.nl); no licence file in the carrier",
        data_as_of="2009-2024 (per plan)",
        url="https://www.ruimtelijkeplannen.nl",
    )
    demo_files = (
        "zoning/NL.IMRO.0664.BPBS02-VG99.gml",
        "zoning/NL.IMRO.0664.BPBS03-ON99.gml",
        "zoning/NL.IMRO.1680.1800030105-0000.gml",
        "zoning/NL.IMRO.0200.bp1416-ont1.gml.gz",
        "zoning/NL.IMRO.0202.957-0301.gml.gz",
        "zoning/NL.IMRO.0202.974-0301.gml.gz",
        "zoning/NL.IMRO.0297.BGBBP20140020-OW01.gml.gz",
        "zoning/NL.IMRO.1930.BPRaadhuislaanSP-1001.gml.gz",
    )
    online = OnlineSource.service(
        RUIMTELIJKEPLANNEN,
        RP_URL,
        key="ruimtelijkeplannen_api_v4_bestemmingsvlakken",
        publisher="Bevoegde gezagen via ruimtelijkeplannen.nl (Ruimtelijke Plannen API v4)",
        licence="Public plan documents (ruimtelijkeplannen.nl)",
        collection="bestemmingsvlakken",
    )
    version = "2"  # every plan type and overlay, partitioned by plan

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        frames = []
        for path in map(Path, paths):
            if path.suffix.lower() in (".geojson", ".json"):
                frames.append(read_api_plans(path))
                continue
            plan = read_plan_file(path)
            self.notes.extend(plan.notes)
            frames.append(plan.rows)
        crs = next((f.crs for f in frames if f.crs is not None), None)
        if any(f.crs is not None and f.crs != crs for f in frames):
            frames = [f.to_crs(crs) if f.crs is not None else f for f in frames]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


PIPELINE = ImroZoning
