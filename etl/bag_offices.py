"""Offices: BAG verblijfsobjecten (units) with an office use (``kantoorfunctie``), with vacancy.

Inputs. :meth:`BagOffices.read` takes any mix of these and tells them apart by file type and
content (coordinates EPSG:28992, RD New, metres, unless a file declares another CRS; areas are
the BAG *oppervlakte*, gebruiksoppervlakte in m²):

* **LV-BAG 2.0 XML extract** (``*VBO*.xml``, or a zip / zip of zips of them; recognised by the
  ``lvbag`` namespace or the file name) through GDAL's LVBAG driver (:mod:`etl.lvbag`), layer
  ``Verblijfsobject``: ``identificatie``, ``gebruiksdoel`` (list), ``oppervlakte``,
  ``status``, ``pandRef``, ``hoofdadresNummeraanduidingRef``/``nevenadres…``. Only the
  current voorkomen of each object is used. NUM files (``*NUM*.xml``) given alongside supply
  the addresses (postcode, huisnummer, huisletter, toevoeging) of the units' hoofd- and
  nevenadressen. Bundled: the real Doesburg samples ``bag/raw/0221VBO15092020-000001.xml``
  and ``…NUM…xml``.
* **BAG GeoPackage** (PDOK ``bag-light.gpkg``), layer ``verblijfsobject`` (recognised by that
  layer): ``identificatie``, ``gebruiksdoel`` (comma-separated), ``oppervlakte``, ``status``,
  ``pand_identificatie``, ``bouwjaar``, ``postcode``, ``huisnummer``, ``huisletter``,
  ``toevoeging``, ``openbare_ruimte_naam``, ``woonplaats_naam``, ``bronhouder_identificatie``
  (the gemeentecode). Bundled: ``bag/doesburg_0221_vbo_bag_light_2020-09-15.gpkg``, the
  Doesburg units written in that schema (there is no real GPKG sample).
* **PDOK BAG OGC API Features** JSON, collection ``verblijfsobject``
  (``https://api.pdok.nl/kadaster/bag/ogc/v2``; CRS84 degrees by default), recognised by
  ``identificatie`` + ``gebruiksdoel`` properties: ``identificatie``, ``oppervlakte``,
  ``gebruiksdoel`` (one comma-separated string, as the service returns it; a JSON list is
  accepted too), ``status``, ``openbare_ruimte_naam``, ``huisnummer``, ``huisletter``,
  ``toevoeging``, ``postcode``, ``woonplaats_naam``. The service gives the pand only as
  ``pand.href`` links to pand features (by feature UUID, not BAG id), so ``pand_id`` is read
  only from a ``pand_identificatie`` property when one is present. Bundled:
  ``bag/doesburg_0221_vbo_pdok_ogcapi_v2.json`` (the Doesburg units in that shape).
* **VBO point file** (GeoJSON or another GDAL format) with ``vbo_id``, ``gebruiksdoelen_bag``
  (``;``-separated), ``oppervlakte_m2``, ``status``, ``aantal_kamers``, ``type_woonobject``;
  bundled: the Amsterdam 2015 sample ``bag/amsterdam_vbo_sample_2015_rd.geojson``.
* **NLExtract bagadresplus CSV** (``;``-separated, one row per address; recognised by
  ``adresseerbaarobject_id``) with RD ``x``/``y``, 0/1 flags per use, the address,
  ``pand_id``, ``bouwjaar``; bundled: addresses around De Ruijterkade, Amsterdam. A
  unit with several addresses appears once per address: its main address (``nevenadres = 0``)
  names it, all its addresses can match the vacancy register.
* **Leegstandsregister** (CSV or XLSX; :mod:`etl.vacancy`), recognised by its columns.
  Bundled: ``offices/leegstandsregister_amsterdam_voorbeeld.csv`` (default demo input) and
  ``….xlsx``: written examples in a municipal format referencing real BAG units.
* **Municipal office vacancy figures** (``GM_CODE``, ``leegstand_m2``; CSV), bundled:
  ``offices/kantoren_leegstand_transformatiepotentie_per_gemeente_2015.csv``.

Kept: units where any file lists ``kantoorfunctie`` among the uses and whose status says the
unit exists: ``Verblijfsobject in gebruik``, ``… in gebruik (niet ingemeten)``, ``…
buiten gebruik`` (exists but unused: the vacancy candidates par excellence) and ``Verbouwing
verblijfsobject`` (exists, being altered; the status is in ``props`` so a user sees it).
Left out, not errors (counted in :attr:`BagOffices.filtered`): ``Verblijfsobject gevormd``
(planned / being built), ``Niet gerealiseerd verblijfsobject``, ``Verblijfsobject
ingetrokken`` and ``Verblijfsobject ten onrechte opgevoerd``. Statuses may be written without
the ``Verblijfsobject`` word (``in gebruik``). Any other status is quarantined ("unknown BAG
verblijfsobject status: …", through the framework's ``quarantine_reason`` column); a missing
one as a missing required field. A unit in several
files becomes one site whose ``sources`` lists every record; where several have a value, the
first file in the order bagadresplus, LV-BAG, GeoPackage, OGC API, VBO file wins.

Output: ``site`` rows, layer ``offices`` (kind ``kantoor``), EPSG:28992 points.

* ``source_ref``: the 16-digit VBO id (text, leading zero kept).
* ``name``: the address (street, number, letter, addition, e.g. ``De Ruijterkade 105-1``) when
  the street is known, else ``Kantoor <vbo id>``.
* ``floor_area_m2``: the BAG ``oppervlakte`` (m²); required.
* ``gemeentecode``: ``GM`` + the file's gemeentecode (bagadresplus, GeoPackage), else null.
* ``props``: ``gebruiksdoelen`` (list), ``status``, ``bouwjaar`` (BAG's 1005 and 9999 mean
  unknown and are left out), ``pand_id``, ``postcode``, ``woonplaats``, ``leegstand``,
  ``places`` and, where known, ``leeg_sinds`` (ISO date), ``leegstand_m2`` (the register's m²),
  ``leegstand_gemeente_m2`` (municipal context, see below).

Vacancy: the BAG records use, not occupancy; it holds no vacancy. An office matched by a
leegstandsregister row (by BAG id, else by address; :func:`etl.vacancy.match_register`) gets
``leegstand: "leeg"``, ``leeg_sinds`` (the earliest) and ``leegstand_m2``, and the register
rows join its ``sources``; the others say ``leegstand: "onbekend"``. Register rows that match
no office unit are returned by ``read`` as records of their own (no geometry, the register row
in ``props``) with ``quarantine_reason`` ``vacancy record matches no BAG office unit``, so
the framework quarantines them with that reason; they count in ``n_read``. With the municipal
figures given, every office gets its municipality's vacant office floor area of 2013-2014 as
``leegstand_gemeente_m2`` (joined on ``gemeentecode``, else on the first four digits of the
BAG id, the code of the municipality that issued it): context only, it says nothing about the
unit.

Online (``sitefinder etl run offices --online [--gemeente GM0363|--provincie|--bbox]``): the
PDOK BAG OGC API Features service ``https://api.pdok.nl/kadaster/bag/ogc/v2``, collection
``verblijfsobject`` (every unit, all uses: the service is asked for the area's bounding box,
page after page, and the offices are picked here), GeoJSON in CRS84, read as the OGC API shape
above. The whole country holds some 10 million units: load it by area (without one, the whole
collection is paged through). The online mode reads the service only: no vacancy register and
no municipal figures, so every office says ``leegstand: "onbekend"``. To add a register, load
from files: ``--from`` the cached GeoJSON of the online run (its path is in the run's ``uri``,
``etl status``) ``--from leegstandsregister.csv`` (and the municipal figures). The service
names no gemeentecode, so ``gemeentecode`` is null and the figures are joined on the BAG id.

Places: ``places = floor(floor_area_m2 / 25)``: one self-contained small unit
(a studio of about 18 m² plus its share of corridors, stairs and shared rooms) per 25 m² of
gebruiksoppervlakte when an office is converted. A planning estimate, not a design.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl import lvbag, vacancy
from etl.declarations import QUARANTINE_REASON, OnlineSource, Pipeline, SourceInfo
from etl.ogcapi import OGC_API
from etl.readers import list_layers, plain_records, read_vector, text, text_column
from layers import m2_per_place
from sitefinder.core.crs import RD
from sitefinder.core.errors import SourceFileError

M2_PER_PLACE = m2_per_place("offices")  # declared on the layer's site kind
PDOK_OGC_BASE = "https://api.pdok.nl/kadaster/bag/ogc/v2"
UNKNOWN_BOUWJAAR = (1005, 9999)  # BAG placeholders: construction year not known
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
EXISTING_STATUSES = frozenset(
    {
        "verblijfsobject in gebruik",
        "verblijfsobject in gebruik (niet ingemeten)",
        "verblijfsobject buiten gebruik",
        "verbouwing verblijfsobject",
    }
)
NOT_EXISTING_STATUSES = frozenset(
    {
        "verblijfsobject gevormd",
        "niet gerealiseerd verblijfsobject",
        "verblijfsobject ingetrokken",
        "verblijfsobject ten onrechte opgevoerd",
    }
)
SHORT_STATUSES = {
    "in gebruik": "verblijfsobject in gebruik",
    "in gebruik (niet ingemeten)": "verblijfsobject in gebruik (niet ingemeten)",
    "buiten gebruik": "verblijfsobject buiten gebruik",
    "verbouwing": "verbouwing verblijfsobject",
    "gevormd": "verblijfsobject gevormd",
    "niet gerealiseerd": "niet gerealiseerd verblijfsobject",
    "ingetrokken": "verblijfsobject ingetrokken",
    "ten onrechte opgevoerd": "verblijfsobject ten onrechte opgevoerd",
}
UNKNOWN_STATUS = "unknown BAG verblijfsobject status: "
VBO_FIELDS = ("vbo_id", "gebruiksdoelen_bag", "oppervlakte_m2", "status")
CSV_FIELDS = ("adresseerbaarobject_id", "x", "y", "kantoorfunctie", "opp_adresseerbaarobject_m2")
GPKG_FIELDS = ("identificatie", "gebruiksdoel", "oppervlakte", "status")
NO_ID = "(no id) #"
VBO_SOURCE = "bag_vbo_amsterdam_2015"
CSV_SOURCE = "nlextract_bagadresplus"
LVBAG_SOURCE = "lvbag_extract"
GPKG_SOURCE = "bag_geopackage"
OGC_SOURCE = "pdok_bag_ogcapi"
# Which file's value wins for a unit in several files: the lowest rank.
SOURCE_RANK = {CSV_SOURCE: 0, LVBAG_SOURCE: 1, GPKG_SOURCE: 2, OGC_SOURCE: 3, VBO_SOURCE: 4}
# The unit's attributes after normalising any file.
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
ADDRESS_COLUMNS = ("vbo_id", "postcode", "huisnummer", "huisletter", "toevoeging")


def _missing(frame: pd.DataFrame, fields: Sequence[str], path: Path) -> None:
    absent = [f for f in fields if f not in frame.columns]
    if absent:
        raise SourceFileError(f"offices: {path.name} lacks the field(s) {', '.join(absent)}")


def _uses(values: pd.Series, separators: str = ";,") -> pd.Series:
    """Sorted use names from lists, JSON-list text or ``;``/``,``-separated text; else None."""

    def parse(value: Any) -> list[str] | None:
        if isinstance(value, str) and value.strip().startswith("["):
            with contextlib.suppress(ValueError):  # a JSON list GDAL left as text
                value = json.loads(value)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple | np.ndarray):
            return None
        parts = [p for v in value for p in re.split(f"[{separators}]", str(v))]
        names = sorted({p.strip().lower() for p in parts if p and p.strip()})
        return names or None

    # mapped over objects: a string column backed by Arrow (pandas 3 with pyarrow installed)
    # would turn the lists into numpy arrays
    return values.astype(object).map(parse).astype(object)


def _points(frame: gpd.GeoDataFrame, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """RD x/y of each record's point (the centroid, should a file carry polygons); NaN if none."""
    if frame.crs is None:
        raise SourceFileError(f"offices: {path.name} has no coordinate reference system")
    points = shapely.centroid(frame.geometry.to_crs(RD).to_numpy())
    return shapely.get_x(points), shapely.get_y(points)


def _bouwjaar(values: pd.Series) -> pd.Series:
    years = pd.to_numeric(values, errors="coerce").astype("Float64")
    return years.where(~years.isin(UNKNOWN_BOUWJAAR))


def _street_address(
    street: pd.Series, number: pd.Series, letter: pd.Series, addition: pd.Series
) -> pd.Series:
    """``De Ruijterkade 105-1``; missing when the street or number is unknown."""
    nr = pd.to_numeric(text(number), errors="coerce").astype("Int64").astype("string")
    house = nr.fillna("") + text(letter).fillna("")
    full = text(street) + " " + house + ("-" + text(addition)).fillna("")
    return full.where(text(street).notna() & nr.notna())


def _units(frame: pd.DataFrame, source: str, path: Path) -> pd.DataFrame:
    out = frame.reindex(columns=list(COLUMNS))
    out["is_office"] = out["gebruiksdoelen"].map(lambda u: isinstance(u, list) and OFFICE_USE in u)
    out["source"] = source
    out["file"] = path.name
    return out


def _addresses(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reindex(columns=list(ADDRESS_COLUMNS)).dropna(subset=["vbo_id"])


Read = tuple[pd.DataFrame, pd.DataFrame]  # units, addresses


def _vbo_file(frame: gpd.GeoDataFrame, path: Path) -> Read:
    _missing(frame, VBO_FIELDS, path)
    x, y = _points(frame, path)
    units = pd.DataFrame(
        {
            "vbo_id": text(frame["vbo_id"]),
            "x": x,
            "y": y,
            "gebruiksdoelen": _uses(text(frame["gebruiksdoelen_bag"]), ";"),
            "floor_area_m2": pd.to_numeric(frame["oppervlakte_m2"], errors="coerce"),
            "status": text(frame["status"]),
            "aantal_kamers": pd.to_numeric(text_column(frame, "aantal_kamers"), errors="coerce"),
            "type_woonobject": text_column(frame, "type_woonobject"),
        }
    )
    return _units(units, VBO_SOURCE, path), pd.DataFrame(columns=list(ADDRESS_COLUMNS))


def _bag_light(frame: gpd.GeoDataFrame, path: Path, source: str) -> Read:
    """The BAG GeoPackage ``verblijfsobject`` layer or the PDOK OGC API shape (same names)."""
    _missing(frame, GPKG_FIELDS, path)
    x, y = _points(frame, path)
    gemeente = text_column(frame, "bronhouder_identificatie").str.zfill(4)
    units = pd.DataFrame(
        {
            "vbo_id": text(frame["identificatie"]).str.zfill(16),
            "x": x,
            "y": y,
            "gebruiksdoelen": _uses(frame["gebruiksdoel"]),
            "floor_area_m2": pd.to_numeric(frame["oppervlakte"], errors="coerce"),
            "status": text(frame["status"]),
            "bouwjaar": _bouwjaar(text_column(frame, "bouwjaar")),
            "pand_id": text_column(frame, "pand_identificatie"),
            "address": _street_address(
                text_column(frame, "openbare_ruimte_naam"),
                text_column(frame, "huisnummer"),
                text_column(frame, "huisletter"),
                text_column(frame, "toevoeging"),
            ),
            "postcode": text_column(frame, "postcode"),
            "woonplaats": text_column(frame, "woonplaats_naam"),
            "gemeentecode": ("GM" + gemeente).where(gemeente.str.fullmatch(r"\d{4}").fillna(False)),
            "huisnummer": text_column(frame, "huisnummer"),
            "huisletter": text_column(frame, "huisletter"),
            "toevoeging": text_column(frame, "toevoeging"),
        }
    )
    return _units(units, source, path), _addresses(units)


def _lvbag(vbo: pd.DataFrame, num: pd.DataFrame, files: str) -> Read:
    """LV-BAG VBOs with the addresses of their hoofd- and nevenadressen from NUM objects."""
    path = Path(files)
    x, y = _points(gpd.GeoDataFrame(vbo, geometry="geometry", crs=vbo.crs), path)
    ids = text(vbo["identificatie"])
    number = (
        num.set_index("identificatie")
        if len(num)
        else pd.DataFrame(columns=["postcode", "huisnummer", "huisletter", "huisnummerToevoeging"])
    )
    hoofd = number.reindex(text(vbo["hoofdadresNummeraanduidingRef"]))
    units = pd.DataFrame(
        {
            "vbo_id": ids,
            "x": x,
            "y": y,
            "gebruiksdoelen": _uses(vbo["gebruiksdoel"]),
            "floor_area_m2": pd.to_numeric(vbo["oppervlakte"], errors="coerce"),
            "status": text(vbo["status"]),
            "pand_id": vbo["pandRef"].map(lambda r: r[0] if isinstance(r, list) and r else None),
            "postcode": text(pd.Series(hoofd["postcode"].to_numpy(), index=vbo.index)),
        }
    )
    refs = pd.DataFrame(
        {
            "vbo_id": ids,
            "ref": [
                [h, *(n if isinstance(n, list) else [])]
                for h, n in zip(
                    vbo["hoofdadresNummeraanduidingRef"],
                    vbo.get("nevenadresNummeraanduidingRef", [None] * len(vbo)),
                    strict=True,
                )
            ],
        }
    ).explode("ref")
    found = refs.merge(number, left_on="ref", right_index=True, how="inner")
    addresses = pd.DataFrame(
        {
            "vbo_id": found["vbo_id"],
            "postcode": text_column(found, "postcode"),
            "huisnummer": text_column(found, "huisnummer"),
            "huisletter": text_column(found, "huisletter"),
            "toevoeging": text_column(found, "huisnummerToevoeging"),
        }
    )
    return _units(units, LVBAG_SOURCE, path), addresses


def _csv_file(frame: pd.DataFrame, path: Path) -> Read:
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
    kind = text(frame["typeadresseerbaarobject"]).str.lower()
    is_vbo = ~kind.isin(["ligplaats", "standplaats"]).fillna(False)
    flags = frame[list(USE_FLAGS)].apply(lambda c: text(c) == "1").fillna(False)
    order = sorted(USE_FLAGS)
    names = np.array([u.replace("_", " ") for u in order])
    uses = pd.Series(
        [names[row].tolist() for row in flags[order].to_numpy(dtype=bool)],
        index=frame.index,
        dtype=object,
    )
    gemeente = text(frame["gemeentecode"]).str.zfill(4)
    out = pd.DataFrame(
        {
            "vbo_id": text(frame["adresseerbaarobject_id"]),
            "x": pd.to_numeric(frame["x"], errors="coerce"),
            "y": pd.to_numeric(frame["y"], errors="coerce"),
            "gebruiksdoelen": uses.where(is_vbo.fillna(False), None),
            "floor_area_m2": pd.to_numeric(frame["opp_adresseerbaarobject_m2"], errors="coerce"),
            "status": text(frame["adresseerbaarobject_status"]),
            "bouwjaar": _bouwjaar(frame["bouwjaar"]),
            "pand_id": text(frame["pand_id"]),
            "address": _street_address(
                frame["openbareruimtenaam"],
                frame["huisnummer"],
                frame["huisletter"],
                frame["huisnummertoevoeging"],
            ),
            "postcode": text(frame["postcode"]),
            "woonplaats": text(frame["woonplaats"]),
            "gemeentecode": ("GM" + gemeente).where(gemeente.str.fullmatch(r"\d{4}").fillna(False)),
            "huisnummer": text(frame["huisnummer"]),
            "huisletter": text(frame["huisletter"]),
            "toevoeging": text(frame["huisnummertoevoeging"]),
        }
    )
    addresses = _addresses(out)
    # Side addresses of the same unit (rows without an id stay, to be quarantined).
    out = out[~(out["vbo_id"].notna() & out["vbo_id"].duplicated(keep="first"))]
    return _units(out, CSV_SOURCE, path), addresses


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceFileError(f"offices: cannot read {path.name}: {first}") from exc


def _read_gdal(path: Path) -> gpd.GeoDataFrame:
    """``read_vector`` without pyogrio's warning for GeoJSON text fields GDAL types as JSON.

    (GDAL gives a property whose first value is null, then text, the JSON subtype; pyogrio
    then warns and leaves the text as it is, which is what is wanted.)
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Could not parse column .* as JSON")
        return read_vector(path)


def _normalised_status(status: pd.Series) -> pd.Series:
    cleaned = text(status).str.lower().str.replace(r"\s+", " ", regex=True)
    return cleaned.map(lambda s: SHORT_STATUSES.get(s, s) if isinstance(s, str) else s).astype(
        "string"
    )


class BagOffices(Pipeline):
    layer = "offices"
    source = SourceInfo(
        key="bag_offices",
        publisher=(
            "Kadaster / Gemeente Amsterdam (BAG 2015 sample; NLExtract bagadresplus; LV-BAG"
            " Doesburg 2020); leegstandsregister: example file"
        ),
        licence="CC0 1.0 (BAG); municipal vacancy figures: licence unclear, context only",
        data_as_of="2015-07-06",
        url="https://www.kadaster.nl/zakelijk/registraties/basisregistraties/bag",
    )
    online = OnlineSource.service(
        OGC_API,
        PDOK_OGC_BASE,
        key="pdok_ogc_bag_verblijfsobject",
        publisher="Kadaster (BAG, PDOK OGC API v2)",
        licence="CC0 1.0",
        collection="verblijfsobject",
    )
    demo_files = (
        "bag/amsterdam_bagadresplus_nlextract.csv",
        "bag/amsterdam_vbo_sample_2015_rd.geojson",
        "bag/raw/0221VBO15092020-000001.xml",
        "bag/raw/0221NUM15092020-000001.xml",
        "offices/leegstandsregister_amsterdam_voorbeeld.csv",
        "offices/kantoren_leegstand_transformatiepotentie_per_gemeente_2015.csv",
    )
    required = ("floor_area_m2", "status")
    version = "2"  # LV-BAG/GeoPackage/OGC API, status filter, vacancy register

    def __init__(self) -> None:
        self.filtered: dict[str, int] = {}
        self.vacancy: dict[str, int] = {}
        self.unmatched = pd.DataFrame(columns=list(vacancy.REGISTER_COLUMNS))

    # ---------------------------------------------------------------------------------------
    # reading the files

    def _classify(
        self, paths: Sequence[Path]
    ) -> tuple[list[Read], list[pd.DataFrame], list[pd.DataFrame]]:
        reads: list[Read] = []
        registers: list[pd.DataFrame] = []
        municipal: list[pd.DataFrame] = []
        lv_vbo: list[gpd.GeoDataFrame] = []
        lv_num: list[pd.DataFrame] = []
        lv_files: list[str] = []
        self.filtered = {"historic voorkomens": 0}
        for path in paths:
            suffix = path.suffix.lower()
            if suffix in (".csv", ".xlsx", ".xls", ".ods"):
                columns = vacancy.table_columns(path)
                kind = vacancy.table_kind(columns)
                if kind == "register":
                    registers.append(vacancy.read_register(path))
                elif kind == "municipal":
                    municipal.append(vacancy.read_municipal_figures(path))
                elif suffix == ".csv":
                    reads.append(_csv_file(_read_csv(path), path))
                else:
                    raise SourceFileError(
                        f"offices: {path.name} is neither a leegstandsregister nor municipal"
                        " vacancy figures"
                    )
            elif lvbag.is_lvbag(path):
                vbo = lvbag.read_lvbag(path, "VBO")
                num = lvbag.read_lvbag(path, "NUM")
                if vbo.frame.empty and num.frame.empty:
                    raise SourceFileError(f"offices: {path.name} holds no LV-BAG VBO or NUM data")
                self.filtered["historic voorkomens"] += vbo.n_historic
                if not vbo.frame.empty:
                    lv_vbo.append(vbo.frame)
                    lv_files.append(path.name)
                if not num.frame.empty:
                    lv_num.append(pd.DataFrame(num.frame))
            elif suffix == ".gpkg" and "verblijfsobject" in _layer_names(path):
                frame = read_vector(path, layer="verblijfsobject")
                reads.append(_bag_light(frame, path, GPKG_SOURCE))
            else:
                frame = _read_gdal(path)
                if "vbo_id" in frame:
                    reads.append(_vbo_file(frame, path))
                elif {"identificatie", "gebruiksdoel"} <= set(frame.columns):
                    reads.append(_bag_light(frame, path, OGC_SOURCE))
                else:
                    _missing(frame, VBO_FIELDS, path)
        if lv_vbo:
            all_vbo = gpd.GeoDataFrame(
                pd.concat(lv_vbo, ignore_index=True), geometry="geometry", crs=lv_vbo[0].crs
            )
            all_num = pd.concat(lv_num, ignore_index=True) if lv_num else pd.DataFrame()
            if len(all_num):
                all_num = all_num.drop_duplicates("identificatie", keep="last")
            reads.append(_lvbag(all_vbo, all_num, ", ".join(lv_files)))
        return reads, registers, municipal

    def read(self, paths: Sequence[Path]) -> gpd.GeoDataFrame:
        """Office units from every BAG input, with vacancy and municipal context (EPSG:28992)."""
        reads, registers, municipal = self._classify(paths)
        if reads:
            units = pd.concat([u for u, _ in reads], ignore_index=True)
            addresses = pd.concat([a for _, a in reads if len(a)] or [_addresses(units)])
        else:
            units = pd.DataFrame(columns=[*COLUMNS, "source", "file"])
            addresses = pd.DataFrame(columns=list(ADDRESS_COLUMNS))
        units = units.reindex(columns=[*COLUMNS, "source", "file"])
        units = units.assign(_rank=units["source"].map(SOURCE_RANK)).sort_values(
            "_rank", kind="stable"
        )
        # A unit without an id stays a record of its own (and is quarantined for it).
        blank = units["vbo_id"].isna()
        units.loc[blank, "vbo_id"] = [f"{NO_ID}{i}" for i in range(int(blank.sum()))]
        office_ids = units.loc[units["is_office"].astype(bool), "vbo_id"]
        units = units[units["vbo_id"].isin(office_ids)]
        merged = self._merge(units)

        status = _normalised_status(merged["status"])
        gone = status.isin(NOT_EXISTING_STATUSES).fillna(False)
        self.filtered.update({str(k): int(n) for k, n in status[gone].value_counts().items()})
        merged = merged.loc[~gone.to_numpy()].reset_index(drop=True)

        merged = self._with_vacancy(merged, addresses, registers)
        merged = self._with_municipal(merged, municipal)
        offices = self._output(merged)
        known = status.loc[~gone.to_numpy()].reset_index(drop=True)
        unknown = known.notna() & ~known.isin(EXISTING_STATUSES).fillna(False)
        offices[QUARANTINE_REASON] = (UNKNOWN_STATUS + merged["status"].astype("string")).where(
            unknown.to_numpy()
        )
        if not len(self.unmatched):
            return offices
        return gpd.GeoDataFrame(
            pd.concat([offices, self._unmatched_rows()], ignore_index=True),
            geometry="geometry",
            crs=RD,
        )

    def _unmatched_rows(self) -> gpd.GeoDataFrame:
        """Register rows that match no office unit, as records the framework quarantines."""
        rows = self.unmatched
        address = (
            rows["straat"].fillna("")
            + " "
            + rows["huisnummer"].fillna("")
            + (" " + rows["postcode"]).fillna("")
        ).str.strip()
        return gpd.GeoDataFrame(
            {
                "source_ref": vacancy.register_ref(rows).to_numpy(),
                "source": vacancy.SOURCE,
                "name": address.where(address != "").to_numpy(),
                "floor_area_m2": rows["m2"].astype(float).to_numpy(),
                "props": list(rows["record"]),
                "sources": [[{"source": vacancy.SOURCE, "file": f}] for f in rows["file"]],
                QUARANTINE_REASON: vacancy.UNMATCHED_REASON,
            },
            geometry=[None] * len(rows),
            crs=RD,
        )

    def _merge(self, units: pd.DataFrame) -> pd.DataFrame:
        units = units.assign(
            sources=pd.Series(
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
                dtype=object,
            )
        )
        grouped = units.groupby("vbo_id", sort=False)
        merged = grouped.first()  # first non-null value per column, in file order
        merged["sources"] = grouped["sources"].agg(list)
        merged["gebruiksdoelen"] = grouped["gebruiksdoelen"].agg(
            lambda s: sorted({u for uses in s if isinstance(uses, list) for u in uses})
        )
        return merged.reset_index()

    def _with_vacancy(
        self, merged: pd.DataFrame, addresses: pd.DataFrame, registers: list[pd.DataFrame]
    ) -> pd.DataFrame:
        merged = merged.assign(leegstand="onbekend", leeg_sinds=None, leegstand_m2=np.nan)
        if not registers:
            self.unmatched = pd.DataFrame(columns=list(vacancy.REGISTER_COLUMNS))
            self.vacancy = {}
            return merged
        register = pd.concat(registers, ignore_index=True)
        office_addresses = addresses[addresses["vbo_id"].isin(merged["vbo_id"])]
        keys = office_addresses.assign(
            key=vacancy.address_key(
                office_addresses["postcode"],
                office_addresses["huisnummer"],
                office_addresses["huisletter"],
                office_addresses["toevoeging"],
            )
        )[["vbo_id", "key"]]
        hits, self.unmatched = vacancy.match_register(register, merged["vbo_id"], keys)
        self.vacancy = {
            "by bag id": int((hits["match"] == "bag id").sum()),
            "by address": int((hits["match"] != "bag id").sum()),
            "unmatched": len(self.unmatched),
        }
        if hits.empty:
            return merged
        found = vacancy.vacancy_by_office(hits).reindex(merged["vbo_id"])
        matched = found["entries"].notna().to_numpy()
        merged.loc[matched, "leegstand"] = "leeg"
        merged["leeg_sinds"] = found["leeg_sinds"].to_numpy()
        merged["leegstand_m2"] = found["m2"].to_numpy()
        merged["sources"] = [
            [*s, *e] if isinstance(e, list) else s
            for s, e in zip(merged["sources"], found["entries"], strict=True)
        ]
        return merged

    def _with_municipal(self, merged: pd.DataFrame, municipal: list[pd.DataFrame]) -> pd.DataFrame:
        if not municipal:
            return merged.assign(leegstand_gemeente_m2=np.nan)
        figures = pd.concat(municipal).drop_duplicates("gemeentecode").set_index("gemeentecode")
        from_id = ("GM" + merged["vbo_id"].astype("string").str[:4]).where(
            merged["vbo_id"].astype("string").str.fullmatch(r"\d{16}").fillna(False)
        )
        code = merged["gemeentecode"].astype("string").fillna(from_id)
        return merged.assign(leegstand_gemeente_m2=figures["leegstand_m2"].reindex(code).to_numpy())

    def _output(self, merged: pd.DataFrame) -> gpd.GeoDataFrame:
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
                "leegstand": merged["leegstand"],
                "leeg_sinds": merged["leeg_sinds"],
                "leegstand_m2": merged["leegstand_m2"].astype(float),
                "leegstand_gemeente_m2": merged["leegstand_gemeente_m2"].astype(float),
                "places": places.astype("Int64"),
            }
        )
        ref = merged["vbo_id"].astype("string")
        ref = ref.where(~ref.str.startswith(NO_ID))
        x = pd.to_numeric(merged["x"], errors="coerce")
        y = pd.to_numeric(merged["y"], errors="coerce")
        xy_ok = (x.notna() & y.notna()).to_numpy()
        geometry = np.asarray(gpd.points_from_xy(x.fillna(0), y.fillna(0), crs=RD), dtype=object)
        geometry[~xy_ok] = None  # no usable coordinates: quarantined as such
        return gpd.GeoDataFrame(
            {
                "source_ref": ref,
                "source": merged["source"],
                "name": merged["address"].astype("string").fillna("Kantoor " + ref.fillna("?")),
                "gemeentecode": merged["gemeentecode"],
                "area_m2": None,
                "floor_area_m2": merged["floor_area_m2"].astype(float),
                "status": merged["status"],
                "props": plain_records(props),
                "sources": merged["sources"],
            },
            geometry=geometry,
            crs=RD,
        )


def _layer_names(path: Path) -> set[str]:
    return {name for name, _ in list_layers(path, what="offices", label=path.name)}


PIPELINE = BagOffices
