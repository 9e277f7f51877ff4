"""Care, the layer the scorer reads: the national hospital list, care registers, and the local
OSM care of the ``care_osm`` layer.

Inputs (any mix):

* **RIVM/VZinfo hospital list** (GeoJSON/GeoPackage, any CRS): points with
  ``ziekenhuisnummer``, ``naam_ziekenhuis``, ``naam_organisatie``, ``soort_ziekenhuis``,
  ``adres``, ``postcode``, ``plaats`` (the bundled file: the 2016 list, CRS84 / EPSG:4326
  degrees). ``source_ref`` = ziekenhuisnummer as an integer string (``'102404'``).
  ``category``: ``hospital`` for general, academic and children's hospitals (soort ending in
  "ziekenhuis"), ``outpatient_clinic`` for a Buitenpolikliniek (also spelt "Buitenpoliklniek"
  once); case is ignored; any other soort leaves the category empty and the record is
  quarantined. Licence note: the coordinates were geocoded with Google's API by the carrying
  repository, whose terms may restrict reuse; re-geocode with the PDOK Locatieserver before
  production use.
* **care register CSV** (for example an export of the Landelijk Register Zorgaanbieders,
  LRZa): one row per location with ``naam``, ``type`` and either ``lat``/``lon`` (WGS84
  degrees) or ``x``/``y`` (RD New metres), optionally ``id``, ``straat``, ``huisnummer``,
  ``postcode``, ``plaats``; separator ``;`` or ``,`` (detected). ``type`` is mapped to a
  category (Dutch or the category names themselves): huisarts(enpraktijk) → ``gp``, apotheek →
  ``pharmacy``, ziekenhuis → ``hospital``, buitenpolikliniek → ``outpatient_clinic``, ggz /
  psychiatrie / psycholoog → ``mental_health``, kliniek / gezondheidscentrum / polikliniek →
  ``clinic``, (maatschappelijke / nacht- / dag-)opvang / sociale voorziening →
  ``social_facility``. A row with an address but no coordinates has no geometry and is
  quarantined with the reason ``no coordinates: geocoding is out of scope``.
  ``source_ref`` = ``register:<id>`` (the row number when there is no id column).

OSM files (PBF, Overpass JSON) are refused here: load them into ``care_osm``
(``sitefinder etl run care_osm --from FILE``), whose rows are then added to this layer.

**The rows of ``care_osm``** (OSM GPs, clinics, pharmacies, mental-health care, social
facilities; see :mod:`etl.osm_care`) are copied into this layer on every load
(:meth:`RivmHospitals.stage_sql`; ``depends_on`` makes a load of ``care_osm`` reload this
layer in ``etl run all``; after ``etl run care_osm`` alone, run ``etl run care`` too). With
``--gemeente``/``--bbox`` the copied rows are not cut to the area.

Output: ``poi`` rows, layer ``care``, geometry in EPSG:28992 (metres). Coverage: national, as
the hospital list is; OSM/register care only adds to it where those files have data (see
:mod:`etl.osm_care` for what that means for the score).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from psycopg import sql

from etl.declarations import QUARANTINE_REASON, Pipeline, SourceInfo, Statement
from etl.osm import is_overpass_json, is_pbf
from etl.readers import plain_records, read_table, read_vector
from sitefinder.core.crs import RD, WGS84
from sitefinder.core.errors import SourceFileError

NO_COORDINATES = "no coordinates: geocoding is out of scope"
REGISTER_TYPES = (  # (regular expression on the lower-cased type, category); first match wins
    (r"buitenpoli", "outpatient_clinic"),
    (r"ggz|psychiatr|psycholo|psychother|mental", "mental_health"),
    (r"huisarts|^gp$|general practi", "gp"),
    (r"apothe|pharmac", "pharmacy"),
    (r"ziekenhuis|hospital", "hospital"),
    (r"kliniek|gezondheidscentrum|clinic|health.?cent", "clinic"),
    (r"opvang|sociale voorziening|social.?facility|shelter|beschermd wonen", "social_facility"),
)


def care_category(soort: pd.Series) -> pd.Series:
    """soort_ziekenhuis -> ``hospital`` / ``outpatient_clinic``; None for anything else."""
    text = soort.astype("string").str.strip().str.lower()
    category = pd.Series(None, index=soort.index, dtype=object)
    category[text.str.endswith("ziekenhuis").fillna(False).to_numpy(dtype=bool)] = "hospital"
    outpatient = text.str.startswith("buitenpoli").fillna(False).to_numpy(dtype=bool)
    category[outpatient] = "outpatient_clinic"
    return category


def register_category(kind: pd.Series) -> pd.Series:
    """A register's ``type`` text -> care category; None when it names no care we use."""
    text = kind.astype("string").str.strip().str.lower().fillna("")
    category = pd.Series(None, index=kind.index, dtype=object)
    for pattern, name in reversed(REGISTER_TYPES):  # so that the first pattern wins
        category[text.str.contains(pattern, regex=True).to_numpy(dtype=bool)] = name
    return category


def integer_ids(values: pd.Series) -> pd.Series:
    """Numeric ids (often read as floats, 102404.0) as integer strings; NA when not whole."""
    number = pd.to_numeric(values, errors="coerce")
    whole = number.where(number % 1 == 0)
    return whole.astype("Int64").astype("string")


def read_hospitals(path: Path) -> gpd.GeoDataFrame:
    frame = read_vector(path)
    if frame.crs is None:
        raise SourceFileError(f"care: {path.name} has no coordinate reference system")
    absent = [c for c in ("ziekenhuisnummer", "naam_ziekenhuis") if c not in frame.columns]
    if absent:
        raise SourceFileError(
            f"care: {path.name} is not the RIVM hospital list ({', '.join(absent)} missing)"
        )
    props = pd.DataFrame(
        {
            "organisation": frame.get("naam_organisatie"),
            "organisatienummer": integer_ids(frame["organisatienummer"])
            if "organisatienummer" in frame
            else None,
            "address": frame.get("adres"),
            "postcode": frame.get("postcode"),
            "plaats": frame.get("plaats"),
            "soort": frame.get("soort_ziekenhuis"),
        }
    )
    return gpd.GeoDataFrame(
        {
            "source_ref": integer_ids(frame["ziekenhuisnummer"]),
            "name": frame["naam_ziekenhuis"],
            "category": care_category(frame.get("soort_ziekenhuis", pd.Series(index=frame.index))),
            "props": plain_records(props),
        },
        geometry=frame.geometry.to_crs(RD).to_numpy(),
        crs=RD,
    )


def _number(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    text = frame[name].astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


def read_register(path: Path) -> gpd.GeoDataFrame:
    """A care register CSV (see the module docstring) -> care rows in EPSG:28992."""
    frame = read_table(path, layer="care")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    absent = [c for c in ("naam", "type") if c not in frame.columns]
    if absent:
        raise SourceFileError(
            f"cannot read {path}: not a care register ({', '.join(absent)} column missing)"
        )
    lat, lon = _number(frame, "lat"), _number(frame, "lon")
    x, y = _number(frame, "x"), _number(frame, "y")
    from_rd = gpd.GeoSeries(gpd.points_from_xy(x.fillna(0), y.fillna(0)), crs=RD).to_numpy()
    from_wgs = (
        gpd.GeoSeries(gpd.points_from_xy(lon.fillna(0), lat.fillna(0)), crs=WGS84)
        .to_crs(RD)
        .to_numpy()
    )
    has_rd = (x.notna() & y.notna()).to_numpy()
    has_wgs = (lat.notna() & lon.notna()).to_numpy()
    geometry = np.where(has_wgs, from_wgs, np.where(has_rd, from_rd, None))
    ident = (
        frame["id"].str.strip()
        if "id" in frame.columns
        else pd.Series(np.arange(1, len(frame) + 1), index=frame.index).astype(str)
    )
    columns = {
        "straat": "address",
        "huisnummer": "housenumber",
        "postcode": "postcode",
        "plaats": "plaats",
        "type": "register_type",
    }
    props = pd.DataFrame({new: frame[old] for old, new in columns.items() if old in frame})
    props["source_file"] = path.name
    note = np.full(len(frame), None, dtype=object)
    note[~(has_wgs | has_rd)] = NO_COORDINATES
    out = gpd.GeoDataFrame(
        {
            "source_ref": ("register:" + ident).mask(ident == ""),
            "name": frame["naam"].str.strip().mask(frame["naam"].str.strip() == ""),
            "category": register_category(frame["type"]),
            "props": plain_records(props, empty_as_none=True),
            QUARANTINE_REASON: note,
        },
        geometry=geometry,
        crs=RD,
    )
    return out


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
    depends_on = ("care_osm",)
    version = "2"

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        parts = []
        for path in paths:
            if is_pbf(path) or is_overpass_json(path):
                raise SourceFileError(
                    f"care: {path.name} is an OSM file; load it into the care_osm layer"
                    " ('sitefinder etl run care_osm --from FILE'), whose rows the care layer adds"
                )
            if path.suffix.lower() in (".csv", ".txt"):
                parts.append(read_register(path))
            else:
                parts.append(read_hospitals(path))
        frame = pd.concat(parts, ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD)

    def stage_sql(self) -> Sequence[Statement]:
        """Add the ``care_osm`` rows (ids ``care:node/…``); their props say where they came from."""
        return (
            sql.SQL(
                "INSERT INTO stage (id, layer, name, source, source_ref, props, geom, category)"
                " SELECT 'care:' || p.source_ref, 'care', p.name, p.source, p.source_ref,"
                " p.props || jsonb_build_object('from_layer', 'care_osm'), p.geom, p.category"
                " FROM poi p WHERE p.layer = 'care_osm'"
                " AND NOT EXISTS (SELECT 1 FROM stage s WHERE s.source_ref = p.source_ref)"
            ),
        )


PIPELINE = RivmHospitals
