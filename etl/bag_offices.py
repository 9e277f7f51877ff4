"""Offices: BAG verblijfsobjecten (units) with an office use (``kantoorfunctie``).

Inputs (both EPSG:28992, RD New, metres; areas in m² gebruiksoppervlakte):

* a BAG verblijfsobject point file (GeoJSON or any GDAL format, any declared CRS) with
  ``vbo_id``, ``gebruiksdoelen_bag`` (``;``-separated use names), ``oppervlakte_m2``,
  ``status``, ``aantal_kamers``, ``type_woonobject``; bundled: the Amsterdam 2015 sample
  (96 units, 4 with ``kantoorfunctie``, 2 of them mixed with ``woonfunctie``);
* an NLExtract *bagadresplus* CSV (``;``-separated, one row per address) with
  ``adresseerbaarobject_id``, ``typeadresseerbaarobject``, RD ``x``/``y``, 0/1 flags per use
  (``kantoorfunctie`` …), ``opp_adresseerbaarobject_m2``, the address, ``pand_id``,
  ``pandstatus``, ``bouwjaar``; bundled: 99 rows around De Ruijterkade, Amsterdam, 12 offices.
  A unit with several addresses appears once per address: its main address
  (``nevenadres = 0``) is used.

Which file is which is told by the extension (``.csv`` is bagadresplus, anything else goes
through GDAL). Kept: units where any file lists ``kantoorfunctie`` among the uses. A unit in
both files becomes one site whose ``sources`` lists both records; where both have a value the
bagadresplus row wins (it is the one with the address). In the bundled files no unit is in both,
so the demo has 4 + 12 = 16 offices.

Output: ``site`` rows, layer ``offices`` (kind ``kantoor``), EPSG:28992 points.

* ``source_ref``: the 16-digit VBO id (text, leading zero kept).
* ``name``: the address (street, number, letter, addition, e.g. ``De Ruijterkade 105-1``) when
  known, else ``Kantoor <vbo id>``.
* ``floor_area_m2``: the BAG ``oppervlakte`` (gebruiksoppervlakte, m²); required, so a unit
  whose area cannot be read is quarantined.
* ``gemeentecode``: ``GM`` + the CSV's gemeentecode, else null (the scorer fills it).
* ``props``: ``gebruiksdoelen`` (list), ``status``, ``bouwjaar`` (of the pand, when known;
  BAG's placeholder 1005 means unknown and is left out), ``pand_id``, ``postcode``,
  ``woonplaats``, ``leegstand: "onbekend"`` and ``places``.

Vacancy: the BAG records use, not occupancy; it holds no vacancy (leegstand) at all, so every
office says ``leegstand: "onbekend"``. Vacancy must come from elsewhere (the municipality's
leegstandsregister, CBS, owners).

Places: ``places = floor(floor_area_m2 / 25)``: one self-contained small unit
(a studio of about 18 m² plus its share of corridors, stairs and shared rooms) per 25 m² of
gebruiksoppervlakte when an office is converted. A planning estimate, not a design.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.framework import RD, Pipeline, SourceInfo, read_vector
from sitefinder.errors import SourceFileError

M2_PER_PLACE = 25.0
UNKNOWN_BOUWJAAR = 1005  # BAG placeholder: construction year not known
OFFICE_USE = "kantoorfunctie"
USE_FLAGS = (
    "woonfunctie",
    "bijeenkomstfunctie",
    "celfunctie",
    "gezondheidszorgfunctie",
    "industriefunctie",
    "kantoorfunctie",
    "logiesfunctie",
    "onderwijsfunctie",
    "sportfunctie",
    "winkelfunctie",
    "overige_gebruiksfunctie",
)
VBO_FIELDS = ("vbo_id", "gebruiksdoelen_bag", "oppervlakte_m2", "status")
CSV_FIELDS = ("adresseerbaarobject_id", "x", "y", "kantoorfunctie", "opp_adresseerbaarobject_m2")
NO_ID = "(no id) #"
VBO_SOURCE = "bag_vbo_amsterdam_2015"
CSV_SOURCE = "nlextract_bagadresplus"
# The unit's attributes after normalising either file.
COLUMNS = (
    "vbo_id",
    "x",
    "y",
    "is_office",
    "gebruiksdoelen",
    "floor_area_m2",
    "status",
    "bouwjaar",
    "pand_id",
    "address",
    "postcode",
    "woonplaats",
    "gemeentecode",
    "aantal_kamers",
    "type_woonobject",
)


def _text(series: pd.Series) -> pd.Series:
    """Strings with blanks and the literal 'None'/'nan' as missing."""
    text = series.astype("string").str.strip()
    return text.where(~text.isin(["", "None", "nan", "NaN"]))


def _missing(frame: pd.DataFrame, fields: Sequence[str], path: Path) -> None:
    absent = [f for f in fields if f not in frame.columns]
    if absent:
        raise SourceFileError(f"offices: {path.name} lacks the field(s) {', '.join(absent)}")


def _vbo_file(path: Path) -> pd.DataFrame:
    frame = read_vector(path)
    _missing(frame, VBO_FIELDS, path)
    if frame.crs is None:
        raise SourceFileError(f"offices: {path.name} has no coordinate reference system")
    # A point per unit (the centroid should a file carry unit polygons); NaN where missing.
    points = shapely.centroid(frame.geometry.to_crs(RD).to_numpy())
    uses = _text(frame["gebruiksdoelen_bag"]).str.split(";")
    uses = uses.map(
        lambda u: sorted({s.strip() for s in u if s.strip()}) if isinstance(u, list) else None
    )
    out = pd.DataFrame(
        {
            "vbo_id": _text(frame["vbo_id"]),
            "x": shapely.get_x(points),
            "y": shapely.get_y(points),
            "is_office": uses.map(lambda u: isinstance(u, list) and OFFICE_USE in u),
            "gebruiksdoelen": uses,
            "floor_area_m2": pd.to_numeric(frame["oppervlakte_m2"], errors="coerce"),
            "status": _text(frame["status"]),
            "aantal_kamers": pd.to_numeric(frame["aantal_kamers"], errors="coerce")
            if "aantal_kamers" in frame
            else np.nan,
            "type_woonobject": _text(frame["type_woonobject"])
            if "type_woonobject" in frame
            else None,
        }
    )
    out["source"] = VBO_SOURCE
    out["file"] = path.name
    return out


def _address(frame: pd.DataFrame) -> pd.Series:
    street = _text(frame["openbareruimtenaam"])
    number = _text(frame["huisnummer"]).fillna("") + _text(frame["huisletter"]).fillna("")
    addition = _text(frame["huisnummertoevoeging"])
    full = street + " " + number + ("-" + addition).fillna("")
    return full.where(street.notna() & (number != ""))


def _csv_file(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise SourceFileError(f"offices: cannot read {path.name}: {first}") from exc
    _missing(frame, CSV_FIELDS, path)
    for column in (
        "nevenadres",
        "typeadresseerbaarobject",
        "openbareruimtenaam",
        "huisnummer",
        "huisletter",
        "huisnummertoevoeging",
        "postcode",
        "woonplaats",
        "gemeentecode",
        "adresseerbaarobject_status",
        "pand_id",
        "bouwjaar",
        *USE_FLAGS,
    ):
        if column not in frame:
            frame[column] = ""
    # One row per unit: its main address first (nevenadres 0), then the side addresses.
    frame = frame.assign(_side=pd.to_numeric(frame["nevenadres"], errors="coerce").fillna(0))
    frame = frame.sort_values(["_side"], kind="stable")
    # Only verblijfsobjecten have uses; ligplaatsen/standplaatsen carry blank flags.
    kind = _text(frame["typeadresseerbaarobject"]).str.lower()
    is_vbo = ~kind.isin(["ligplaats", "standplaats"]).fillna(False)
    flags = frame[list(USE_FLAGS)].apply(lambda c: _text(c) == "1").fillna(False)
    order = sorted(USE_FLAGS)
    names = np.array([u.replace("_", " ") for u in order])
    uses = pd.Series(
        [names[row].tolist() for row in flags[order].to_numpy(dtype=bool)],
        index=frame.index,
        dtype=object,
    )
    gemeente = _text(frame["gemeentecode"]).str.zfill(4)
    bouwjaar = pd.to_numeric(frame["bouwjaar"], errors="coerce")
    out = pd.DataFrame(
        {
            "vbo_id": _text(frame["adresseerbaarobject_id"]),
            "x": pd.to_numeric(frame["x"], errors="coerce"),
            "y": pd.to_numeric(frame["y"], errors="coerce"),
            "is_office": (flags[OFFICE_USE] & is_vbo.fillna(False)).astype(bool),
            "gebruiksdoelen": uses.where(is_vbo.fillna(False), None),
            "floor_area_m2": pd.to_numeric(frame["opp_adresseerbaarobject_m2"], errors="coerce"),
            "status": _text(frame["adresseerbaarobject_status"]),
            "bouwjaar": bouwjaar.where(bouwjaar != UNKNOWN_BOUWJAAR),
            "pand_id": _text(frame["pand_id"]),
            "address": _address(frame),
            "postcode": _text(frame["postcode"]),
            "woonplaats": _text(frame["woonplaats"]),
            "gemeentecode": ("GM" + gemeente).where(gemeente.str.fullmatch(r"\d{4}").fillna(False)),
        }
    )
    # Side addresses of the same unit (rows without an id stay, to be quarantined).
    out = out[~(out["vbo_id"].notna() & out["vbo_id"].duplicated(keep="first"))]
    out["source"] = CSV_SOURCE
    out["file"] = path.name
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = frame.astype(object)
    return cast(list[dict[str, Any]], plain.where(plain.notna(), None).to_dict("records"))


class BagOffices(Pipeline):
    layer = "offices"
    source = SourceInfo(
        key="bag_offices",
        publisher="Kadaster / Gemeente Amsterdam (BAG 2015 sample; NLExtract bagadresplus)",
        licence="CC0 1.0 (BAG)",
        data_as_of="2015-07-06",
        url="https://www.kadaster.nl/zakelijk/registraties/basisregistraties/bag",
    )
    demo_files = (
        "bag/amsterdam_bagadresplus_nlextract.csv",
        "bag/amsterdam_vbo_sample_2015_rd.geojson",
    )
    required = ("floor_area_m2",)

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        # bagadresplus first, so its values win where both files describe a unit.
        ordered = sorted(paths, key=lambda p: p.suffix.lower() != ".csv")
        parts = [_csv_file(p) if p.suffix.lower() == ".csv" else _vbo_file(p) for p in ordered]
        units = pd.concat(parts, ignore_index=True).reindex(columns=[*COLUMNS, "source", "file"])
        # A unit without an id stays a record of its own (and is quarantined for it).
        blank = units["vbo_id"].isna()
        units.loc[blank, "vbo_id"] = [f"{NO_ID}{i}" for i in range(int(blank.sum()))]
        office_ids = units.loc[units["is_office"].astype(bool), "vbo_id"]
        units = units[units["vbo_id"].isin(office_ids)]
        units["sources"] = pd.Series(
            [
                {
                    "source": s,
                    "source_ref": ref,
                    "file": f,
                    "gebruiksdoelen": u if isinstance(u, list) else None,
                }
                for s, ref, f, u in zip(
                    units["source"],
                    units["vbo_id"],
                    units["file"],
                    units["gebruiksdoelen"],
                    strict=True,
                )
            ],
            index=units.index,
        )
        grouped = units.groupby("vbo_id", sort=False)
        merged = grouped.first()  # first non-null value per column, in file order
        merged["sources"] = grouped["sources"].agg(list)
        merged["gebruiksdoelen"] = grouped["gebruiksdoelen"].agg(
            lambda s: sorted({u for uses in s if isinstance(uses, list) for u in uses})
        )
        merged = merged.reset_index()
        places = np.floor(merged["floor_area_m2"].astype(float) / M2_PER_PLACE)
        props = pd.DataFrame(
            {
                "gebruiksdoelen": merged["gebruiksdoelen"],
                "status": merged["status"],
                "bouwjaar": merged["bouwjaar"].astype("Float64").astype("Int64"),
                "pand_id": merged["pand_id"],
                "postcode": merged["postcode"],
                "woonplaats": merged["woonplaats"],
                "aantal_kamers": merged["aantal_kamers"].astype("Float64").astype("Int64"),
                "type_woonobject": merged["type_woonobject"],
                "leegstand": "onbekend",
                "places": places.astype("Int64"),
            }
        )
        ref = merged["vbo_id"].where(~merged["vbo_id"].str.startswith(NO_ID))
        xy_ok = merged["x"].notna() & merged["y"].notna()
        points = gpd.points_from_xy(merged["x"].fillna(0), merged["y"].fillna(0), crs=RD)
        geometry = np.asarray(points, dtype=object)
        geometry[~xy_ok.to_numpy()] = None  # no usable coordinates: quarantined as such
        return gpd.GeoDataFrame(
            {
                "source_ref": ref,
                "source": merged["source"],
                "name": merged["address"].fillna("Kantoor " + ref.fillna("?")),
                "gemeentecode": merged["gemeentecode"],
                "area_m2": None,
                "floor_area_m2": merged["floor_area_m2"].astype(float),
                "props": _records(props),
                "sources": merged["sources"],
            },
            geometry=geometry,
            crs=RD,
        )


PIPELINE = BagOffices
